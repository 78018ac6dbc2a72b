import Foundation
import PostgresFixture
import ProstagmaProtocol
import Testing

@testable import ServerCore

/// Two real servers (in this process, each with its own listening socket, hub and LISTEN connection) on one
/// PostgreSQL database: what one replica is told, the other learns through NOTIFY and the database.
@Suite(.postgresCluster, .timeLimit(.minutes(3))) struct ReplicaTests {
    func withReplicas(_ body: @Sendable (LiveServer, LiveServer) async throws -> Void) async throws {
        let cluster = try #require(PostgresClusterTrait.current)
        let url = try DatabaseURL(
            parsing: try await cluster.createDatabase("replicas_" + UUID().uuidString.prefix(8).lowercased()))
        try await withLiveServer(configure: { $0.databaseURL = url }) { a in
            try await withLiveServer(configure: { $0.databaseURL = url }) { b in
                try await body(a, b)
            }
        }
    }

    @Test func anIncrementOnOneReplicaWakesALongPollOnTheOther() async throws {
        try await withReplicas { a, b in
            let epoch = a.components.store.epoch
            #expect(b.components.store.epoch == epoch)
            try await withThrowingTaskGroup(of: LiveServer.Response.self) { group in
                group.addTask {
                    try await b.send(.GET, "/v1/triggers/app?after=0&epoch=\(epoch)&wait=50", bearer: true)
                }
                try await eventually("replica B holds the long poll") {
                    b.components.hub.watcherCounts()["app", default: 0] > 0
                }
                let increment = try await a.send(.POST, "/v1/triggers/app", bearer: true)
                #expect(increment.status == 200)
                let answer = try #require(try await group.next())
                #expect(answer.status == 200)
                #expect(try answer.json()["count"] as? Int == 1)
            }
            #expect(b.components.hub.current("app").count == 1)
        }
    }

    @Test func aDeployWaitOnOneReplicaIsAnsweredByReportsToTheOther() async throws {
        try await withReplicas { a, b in
            let epoch = a.components.store.epoch
            // The agent polls replica B; A learns of it from the database.
            b.components.agents.touch(name: "w1", host: "h", trigger: "app", pollInterval: 30, now: Date())
            await b.components.flushAgents()
            await a.components.flushAgents()
            #expect(a.components.agents.liveWatchers(of: "app", now: Date()) == ["w1"])
            try await withThrowingTaskGroup(of: LiveServer.Response.self) { group in
                group.addTask { try await a.send(.POST, "/v1/triggers/app?wait=50", bearer: true) }
                try await eventually("replica A counted the increment") {
                    a.components.hub.current("app").count == 1
                }
                let report = RunReport(agent: "w1", trigger: "app", count: 1, epoch: epoch, status: "succeeded")
                let body = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
                let reported = try await b.send(.POST, "/v1/runs", body: body, bearer: true)
                #expect(reported.status == 201)
                let answer = try #require(try await group.next())
                #expect(answer.status == 200, "\(answer.text)")
                #expect(answer.text.contains("\"w1\""))
            }
        }
    }

    @Test func agentsSeenByOneReplicaAreListedByTheOther() async throws {
        try await withReplicas { a, b in
            a.components.agents.touch(name: "on-a", host: "ha", trigger: "app", pollInterval: 5, now: Date())
            b.components.agents.touch(name: "on-b", host: "hb", trigger: "web", pollInterval: 5, now: Date())
            await a.components.flushAgents()
            await b.components.flushAgents()
            await a.components.flushAgents()
            for replica in [a, b] {
                let listed = try await replica.send(.GET, "/v1/agents", bearer: true)
                #expect(listed.status == 200)
                #expect(listed.text.contains("\"on-a\"") && listed.text.contains("\"on-b\""), "\(listed.text)")
            }
        }
    }
}
