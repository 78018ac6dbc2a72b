import Foundation
import Logging
import PostgresFixture
import ProstagmaProtocol
import Testing

@testable import ServerCore

/// `migrate-store`: a SQLite store copied into PostgreSQL reads back the same, so agents notice nothing.
@Suite(.postgresCluster, .timeLimit(.minutes(3))) struct StoreMigrationTests {
    @Test func everythingIsCopiedWithTheSameEpochAndCounts() async throws {
        let cluster = try #require(PostgresClusterTrait.current)
        try await withTemporaryDirectory { directory in
            let source = try SQLiteStore(directory: directory)
            _ = try await source.increment("app", release: NewRelease(params: ["v": "1"], note: "first", source: .api))
            _ = try await source.increment("app", release: NewRelease(params: ["v": "2"], source: .api))
            _ = try await source.increment("web")
            for (index, status) in (["failed", "succeeded", "succeeded"] as [RunStatus]).enumerated() {
                _ = try await source.insertRun(
                    RunReport(
                        id: "r\(index)", agent: "a\(index)", trigger: "app", count: 2, epoch: source.epoch,
                        status: status))
            }
            let agent = AgentRecord(
                name: "a0", host: "h0", triggers: ["app", "web"], lastSeen: Date(timeIntervalSince1970: 1_800_000_000),
                pollIntervalSeconds: 5, lastRunID: "r0")
            try await source.saveAgents([agent])
            let policy = RolloutPolicy(maxParallel: .count(1))
            try await source.setPolicy(policy, trigger: "app", now: Date())
            let machine = RolloutMachine(
                trigger: "app", count: 2, policy: policy, agents: ["a0", "a1"], previous: nil,
                now: Date(timeIntervalSince1970: 1_800_000_000))
            try await source.saveRollout(of: "app") { machine }

            let url = try DatabaseURL(parsing: try await cluster.createDatabase("migrated"))
            let target = try await PostgresStore(url: url, logger: Logger(label: "t"))
            let summary = try await StoreMigration.copy(from: source, to: target)
            #expect(summary.triggers == 2 && summary.releases == 3 && summary.runs == 3 && summary.agents == 1)
            try await target.close()

            let copied = try await PostgresStore(url: url, logger: Logger(label: "t"))
            #expect(copied.epoch == source.epoch)
            #expect(try await copied.loadTriggers() == (try await source.loadTriggers()))
            #expect(
                try await copied.runs(trigger: nil, limit: 100) == (try await source.runs(trigger: nil, limit: 100)))
            #expect(try await copied.loadAgents() == [agent])
            #expect(try await copied.loadPolicies() == ["app": policy])
            #expect(try await copied.loadRollouts() == [machine])
            #expect(
                try await copied.releases(trigger: "app", before: nil, limit: 10)
                    == (try await source.releases(trigger: "app", before: nil, limit: 10)))
            // The next increment carries on from the copied count.
            #expect(try await copied.increment("app").count == 3)

            // A second copy would mix two stores: refused, nothing written.
            do {
                _ = try await StoreMigration.copy(from: source, to: copied)
                Issue.record("a copy into a database that holds data succeeded")
            } catch {
                #expect((error as? ServerError)?.detail.contains("already holds data") == true, "\(error)")
            }
            #expect(try await copied.loadTriggers().first?.count == 3)
            try await copied.close()
            try await source.close()
        }
    }
}
