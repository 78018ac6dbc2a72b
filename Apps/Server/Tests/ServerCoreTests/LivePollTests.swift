import Foundation
import HTTPCore
import ProstagmaProtocol
import Testing

@testable import ServerCore

/// The v1 long poll over a real socket, where the shared secret's poll waits on the connection's event loop (no
/// task) and an answer the rollout gates is made by the connection's task: what `TestServer` (no socket) cannot see.
@Suite(.timeLimit(.minutes(2))) struct LivePollTests {
    static func rolloutPlaces(_ server: LiveServer) async throws -> [RolloutPlace] {
        let response = try await server.send(.GET, "/v1/triggers/app/rollout", bearer: true)
        return try JSONDecoder().decode(Rollout.self, from: Data(response.body)).agents.map(\.place)
    }

    /// Agents live only by an open poll: seen an hour from now, when their last poll's interval has long passed.
    static func polling(_ server: LiveServer) -> [String] {
        server.components.agents.liveWatchers(of: "app", now: Date().addingTimeInterval(3600))
    }

    /// A waiting poll counts its agent as polling; an increment answers it with the new count, and the count of open
    /// polls comes down again.
    @Test func aWaitingPollCountsItsAgentAndAnIncrementAnswersIt() async throws {
        try await withLiveServer { server in
            async let woken = server.poll("a", after: 0, wait: 30)
            try await eventually("a's poll waits") {
                server.components.hub.notifier(for: "app").waiterCount == 1 && Self.polling(server) == ["a"]
            }
            let increment = try await server.send(.POST, "/v1/triggers/app", bearer: true)
            #expect(increment.status == 200)
            #expect(try await woken == 1)
            try await eventually("a no longer polls") { Self.polling(server).isEmpty }
        }
    }

    /// A client that goes away during the wait ends it: the agent no longer counts as polling.
    @Test func aPollWhoseClientGoesAwayStopsCounting() async throws {
        try await withLiveServer { server in
            let waiting = Task { try await server.poll("a", after: 0, wait: 30) }
            try await eventually("a's poll waits") { Self.polling(server) == ["a"] }
            waiting.cancel()
            _ = await waiting.result
            try await eventually("a's poll ended with its connection") {
                Self.polling(server).isEmpty && server.components.hub.notifier(for: "app").waiterCount == 0
            }
        }
    }

    /// A poll that began before the trigger's first gated release waits on the event loop; waking on that release
    /// its answer must go through the rollout (on the connection's task): b sees count 1 only once admitted.
    @Test func aPollOpenBeforeTheFirstGatedReleaseStaysGatedWhenItWakes() async throws {
        try await withLiveServer { server in
            let policy = try await server.send(
                .PUT, "/v1/triggers/app/policy", body: #"{"max_parallel": 1}"#, bearer: true)
            #expect(policy.status == 200, "\(policy.text)")
            for agent in ["a", "b"] { _ = try await server.poll(agent, after: 0) }
            async let woken = server.poll("b", after: 0, wait: 30)
            try await eventually("b's poll waits") { server.components.hub.notifier(for: "app").waiterCount >= 1 }
            #expect(try await server.send(.POST, "/v1/triggers/app", bearer: true).status == 200)
            #expect(try await server.poll("a", after: 0) == 1)
            try await eventually("b's poll to wait on, not answer, the release") {
                try await Self.rolloutPlaces(server) == [.admitted, .waiting]
                    && server.components.hub.notifier(for: "app").waiterCount >= 1
            }
            let epoch = server.components.store.epoch
            let run = #"{"agent": "a", "trigger": "app", "count": 1, "epoch": "\#(epoch)", "status": "succeeded"}"#
            #expect(try await server.send(.POST, "/v1/runs", body: run, bearer: true).status == 201)
            #expect(try await woken == 1)
        }
    }
}
