import Foundation
import GRDB
import ProstagmaProtocol
import Testing

@testable import ServerCore

@Suite(.postgresCluster, .timeLimit(.minutes(3))) struct ReleaseStoreTests {
    static let release = NewRelease(
        params: ["version": "1.4.2", "artifact": "s3://b/app-1.4.2.zip", "quote": "\"<é>\"\n"], note: "ship it ✓",
        source: .api, requestedBy: "secret")

    @Test(arguments: StoreKind.allCases) func anIncrementAndItsReleaseAreCommittedTogetherAndSurviveAReopen(
        _ kind: StoreKind
    ) async throws {
        try await withStorePlace(kind) { place in
            let answered: TriggerState
            do {
                let store = try await place.open()
                answered = try await store.increment("app", release: Self.release)
                #expect(answered.count == 1)
                #expect(answered.release?.params == Self.release.params)
                try await store.close()
            }
            let reopened = try await place.open()
            let triggers = try await reopened.loadTriggers()
            let state = try #require(triggers.first)
            #expect(state.count == 1)
            let release = try #require(state.release)
            #expect(release.trigger == "app")
            #expect(release.count == 1)
            #expect(release.params == Self.release.params)
            #expect(release.note == "ship it ✓")
            #expect(release.source == .api)
            #expect(release.requestedBy == "secret")
            #expect(release.forge == nil)
            #expect(release.rollbackOf == nil)
            #expect(
                Timestamp.format(release.createdAt) == Timestamp.format(answered.release?.createdAt ?? .distantPast))
            #expect(try await reopened.release(trigger: "app", count: 1)?.params == Self.release.params)
        }
    }

    @Test func aReleaseThatCannotBeWrittenLeavesTheCountAsItWas() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteStore(directory: directory)
            // A release row for count 1 already exists: the increment's own insert must fail, and with it the count.
            try await store.pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO releases (\(SQLiteStore.releaseColumns)) VALUES ('app', 1, '{}', NULL, 'api',
                        NULL, NULL, NULL, 0)
                        """)
            }
            await #expect(throws: ServerError.self) { try await store.increment("app") }
            #expect(try await store.loadTriggers().isEmpty)
            #expect(try await store.increment("other").count == 1)
        }
    }

    @Test(arguments: StoreKind.allCases) func concurrentIncrementsSharingCommitsEachGetTheirOwnRelease(
        _ kind: StoreKind
    ) async throws {
        try await withStorePlace(kind) { place in
            let store = try await place.open()
            let answers = try await withThrowingTaskGroup(of: [TriggerState].self) { group in
                for task in 0..<32 {
                    group.addTask {
                        var states: [TriggerState] = []
                        for step in 0..<5 {
                            states.append(
                                try await store.increment(
                                    "busy", release: NewRelease(params: ["by": "\(task)-\(step)"], source: .api)))
                        }
                        return states
                    }
                }
                return try await group.reduce(into: [TriggerState]()) { $0 += $1 }
            }
            #expect(Set(answers.map(\.count)) == Set(1...160))
            #expect(answers.allSatisfy { $0.release?.count == $0.count })
            let stored = try await store.releases(trigger: "busy", counts: Array(1...160))
            #expect(stored.count == 160)
            for answer in answers {
                #expect(stored[answer.count]?.params == answer.release?.params)
            }
            #expect(Set(stored.values.map { $0.params["by"] ?? "" }).count == 160)
        }
    }

    @Test(arguments: StoreKind.allCases) func webhookPushesAndRollbacksRoundTrip(_ kind: StoreKind) async throws {
        try await withStorePlace(kind) { place in
            let store = try await place.open()
            let push = ForgePush(ref: "refs/heads/main", commit: "0123abcd", pusher: "octocat")
            _ = try await store.increment("app", release: NewRelease(source: .github, forge: push))
            let rolled = try await store.rollback(
                "app", to: .count(1), note: nil, requestedBy: "secret", now: Date(), afterCommit: nil)
            let first = try #require(try await store.release(trigger: "app", count: 1))
            #expect(first.forge == push)
            #expect(first.source == .github)
            #expect(first.requestedBy == nil)
            let second = try #require(try await store.release(trigger: "app", count: 2))
            #expect(rolled.release?.count == 2)
            #expect(rolled.release?.rollbackOf == 1)
            #expect(second.rollbackOf == 1)
            #expect(second.source == .api)
            #expect(second.requestedBy == "secret")
            #expect(second.note == "Rollback to #1")
            #expect(second.forge == nil)
        }
    }

    @Test(arguments: StoreKind.allCases) func historyIsNewestFirstInPages(_ kind: StoreKind) async throws {
        try await withStorePlace(kind) { place in
            let store = try await place.open()
            for index in 1...25 {
                _ = try await store.increment("app", release: NewRelease(params: ["n": "\(index)"], source: .api))
            }
            _ = try await store.increment("other")
            let first = try await store.releases(trigger: "app", before: nil, limit: 10)
            #expect(first.releases.map(\.count) == Array((16...25).reversed()))
            #expect(first.releases.first?.params == ["n": "25"])
            #expect(first.nextBefore == 16)
            let second = try await store.releases(trigger: "app", before: 16, limit: 10)
            #expect(second.releases.map(\.count) == Array((6...15).reversed()))
            #expect(second.nextBefore == 6)
            let last = try await store.releases(trigger: "app", before: 6, limit: 10)
            #expect(last.releases.map(\.count) == [5, 4, 3, 2, 1])
            #expect(last.nextBefore == nil)
            let exact = try await store.releases(trigger: "app", before: 6, limit: 5)
            #expect(exact.nextBefore == nil)
            #expect(try await store.releases(trigger: "none", before: nil, limit: 10).releases.isEmpty)
            #expect(first.releases.allSatisfy { $0.outcome == ReleaseOutcome() })
        }
    }

    @Test(arguments: StoreKind.allCases) func anOutcomeCountsEachAgentsNewestRunOnce(_ kind: StoreKind) async throws {
        try await withStorePlace(kind) { place in
            let store = try await place.open()
            let epoch = store.epoch
            _ = try await store.increment("app")
            _ = try await store.increment("app")
            for (agent, status, runEpoch) in [
                ("a", "failed", epoch), ("a", "succeeded", epoch),  // retried: only the newest counts
                ("b", "failed", epoch), ("c", "cancelled", nil), ("d", "succeeded", "another-epoch"),
            ] as [(String, RunStatus, String?)] {
                _ = try await store.insertRun(
                    RunReport(agent: agent, trigger: "app", count: 1, epoch: runEpoch, status: status))
            }
            _ = try await store.insertRun(
                RunReport(agent: "a", trigger: "app", count: 2, epoch: epoch, status: "succeeded"))
            #expect(
                try await store.release(trigger: "app", count: 1)?.outcome
                    == ReleaseOutcome(succeeded: 1, failed: 1, cancelled: 1))
            let page = try await store.releases(trigger: "app", before: nil, limit: 10)
            #expect(
                page.releases.map(\.outcome) == [
                    ReleaseOutcome(succeeded: 1), ReleaseOutcome(succeeded: 1, failed: 1, cancelled: 1),
                ])
        }
    }

    @Test(arguments: StoreKind.allCases) func previousIsTheNewestEarlierReleaseWhoseRunsAllSucceeded(_ kind: StoreKind)
        async throws
    {
        try await withStorePlace(kind) { place in
            let store = try await place.open()
            let epoch = store.epoch
            for version in ["1", "2", "3", "4"] {
                _ = try await store.increment("app", release: NewRelease(params: ["version": version], source: .api))
            }
            // #1 succeeded everywhere, #2 failed on one agent, #3 nobody ran, #4 is current (and succeeded).
            for (count, agent, status) in [
                (1, "a", "succeeded"), (1, "b", "succeeded"), (2, "a", "succeeded"), (2, "b", "failed"),
                (4, "a", "succeeded"),
            ] as [(Int64, String, RunStatus)] {
                _ = try await store.insertRun(
                    RunReport(agent: agent, trigger: "app", count: count, epoch: epoch, status: status))
            }
            let state = try await store.rollback(
                "app", to: .previous, note: "bad deploy", requestedBy: "secret", now: Date(), afterCommit: nil)
            #expect(state.count == 5)
            #expect(state.release?.rollbackOf == 1)
            #expect(state.release?.params == ["version": "1"])
            #expect(state.release?.note == "bad deploy")
        }
    }

    @Test(arguments: StoreKind.allCases) func aRollbackWithNothingToGoBackToRecordsNothing(_ kind: StoreKind)
        async throws
    {
        try await withStorePlace(kind) { place in
            let store = try await place.open()
            let epoch = store.epoch
            await #expect(throws: ServerError.self) {
                try await store.rollback(
                    "app", to: .previous, note: nil, requestedBy: nil, now: Date(), afterCommit: nil)
            }
            _ = try await store.increment("app")
            _ = try await store.increment("app")
            _ = try await store.insertRun(
                RunReport(agent: "a", trigger: "app", count: 1, epoch: epoch, status: "failed"))
            do {
                _ = try await store.rollback(
                    "app", to: .previous, note: nil, requestedBy: nil, now: Date(), afterCommit: nil)
                Issue.record("a rollback to previous without a good release succeeded")
            } catch let error as ServerError {
                #expect(error.status == 409)
                #expect(error.detail.contains("before #2"))
            }
            do {
                _ = try await store.rollback(
                    "app", to: .count(9), note: nil, requestedBy: nil, now: Date(), afterCommit: nil)
                Issue.record("a rollback to a count that does not exist succeeded")
            } catch let error as ServerError {
                #expect(error.status == 422)
                #expect(error.detail.contains("#9"))
            }
            #expect(try await store.loadTriggers().first?.count == 2)
            #expect(try await store.releases(trigger: "app", before: nil, limit: 10).releases.count == 2)
        }
    }

    @Test func aVersion2DatabaseMigratesAndItsOldCountsHaveNoRelease() async throws {
        try await withTemporaryDirectory { directory in
            // The schema and data of the release before releases: counts and runs, no releases table.
            do {
                let pool = try DatabasePool(path: (directory as NSString).appendingPathComponent(SQLiteStore.fileName))
                try SQLiteStore.migrator.migrate(pool, upTo: "v2-runs-by-count")
                try await pool.write { db in
                    #expect(try !db.tableExists("releases"))
                    try db.execute(sql: "INSERT INTO triggers (name, count, last_increment) VALUES ('app', 3, 1.5e9)")
                }
                try pool.close()
            }
            let store = try SQLiteStore(directory: directory)
            _ = try await store.insertRun(
                RunReport(agent: "a", trigger: "app", count: 3, epoch: store.epoch, status: "succeeded"))
            let old = try #require(try await store.loadTriggers().first)
            #expect(old.count == 3)
            #expect(old.release == nil)
            #expect(try await store.release(trigger: "app", count: 3) == nil)
            // An old count is not a release to roll back to, not even as "previous".
            do {
                _ = try await store.rollback(
                    "app", to: .count(2), note: nil, requestedBy: nil, now: Date(), afterCommit: nil)
                Issue.record("a rollback to a count without a release succeeded")
            } catch let error as ServerError {
                #expect(error.status == 422)
                #expect(error.detail.contains("before the server recorded releases"))
            }
            let next = try await store.increment("app", release: NewRelease(params: ["v": "4"], source: .api))
            #expect(next.count == 4)
            #expect(next.release?.params == ["v": "4"])
            do {
                _ = try await store.rollback(
                    "app", to: .previous, note: nil, requestedBy: nil, now: Date(), afterCommit: nil)
                Issue.record("previous found a count without a release")
            } catch let error as ServerError {
                #expect(error.status == 409)
            }
            #expect(try await store.releases(trigger: "app", before: nil, limit: 10).releases.map(\.count) == [4])
        }
    }
}
