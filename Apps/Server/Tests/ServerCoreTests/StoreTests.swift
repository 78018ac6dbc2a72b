import Foundation
import ProstagmaProtocol
import Synchronization
import Testing

@testable import ServerCore

@Suite(.postgresCluster, .timeLimit(.minutes(3))) struct StoreTests {
    @Test(arguments: StoreKind.allCases) func incrementsAreDurableAcrossReopen(_ kind: StoreKind) async throws {
        try await withStorePlace(kind) { place in
            let epoch: String
            do {
                let store = try await place.open()
                epoch = store.epoch
                #expect(epoch.count == 32)
                #expect(try await store.increment("app").count == 1)
                #expect(try await store.increment("app").count == 2)
                #expect(try await store.increment("other").count == 1)
                try await store.close()
            }
            let reopened = try await place.open()
            #expect(reopened.epoch == epoch)
            let triggers = try await reopened.loadTriggers()
            #expect(triggers.map(\.trigger) == ["app", "other"])
            #expect(triggers.map(\.count) == [2, 1])
            #expect(triggers[0].lastIncrement != nil)
        }
    }

    @Test func aNewDatabaseHasANewEpoch() async throws {
        try await withTemporaryDirectory { directory in
            let first = try SQLiteStore(directory: directory + "/a").epoch
            let second = try SQLiteStore(directory: directory + "/b").epoch
            #expect(first != second)
        }
    }

    @Test func durabilityIsWALWithFullSync() async throws {
        try await withTemporaryDirectory { directory in
            let settings = try SQLiteStore(directory: directory).durabilitySettings()
            #expect(settings.journalMode == "wal")
            #expect(settings.synchronous == 2)  // FULL
            #expect(settings.autoCheckpoint == 0)  // commits never checkpoint (WALCheckpointer does)
        }
    }

    /// A commit that crossed SQLite's 1,000-frame threshold used to checkpoint before it returned, and the
    /// increment's answer and the polls it woke waited for it. With the checkpointer off, 1,200 commits leave all
    /// their frames in the WAL: no commit copied them into the database file.
    @Test func commitsNeverCheckpoint() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteStore(directory: directory, checkpointEvery: nil)
            for _ in 0..<1_200 { _ = try await store.increment("frames") }
            let outcome = try await store.pool.writeWithoutTransaction { db in try db.checkpoint(.passive) }
            #expect(outcome.walFrameCount >= 1_200, "the WAL was started over: a commit checkpointed")
            #expect(store.checkpointer.status.runs == 0)
            #expect(try await store.loadTriggers().first?.count == 1_200)
            try await store.close()
        }
    }

    /// The checkpointer copies the WAL into the database file every few batches, so the WAL starts over instead of
    /// growing, and it does so only after the batch's callers have their answers.
    @Test func theWALIsCheckpointedOnceBatchesAreAnswered() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteStore(directory: directory, checkpointEvery: 10, checkpointInterval: .seconds(3600))
            let seenByAnswers = Mutex<[Int]>([])
            for _ in 0..<200 {
                _ = try await store.increment("frames", release: NewRelease(source: .api), now: Date()) { _ in
                    seenByAnswers.withLock { $0.append(store.checkpointer.status.runs) }
                }
            }
            let status = store.checkpointer.status
            // Every 10 batches when the writer is idle, every 40 at most: the next increment may already be queued.
            #expect(status.runs >= 5)
            #expect(status.lastError == nil)
            let last = try #require(status.last)
            #expect(last.checkpointedFrames == last.walFrames)
            // Each commit adds at least one frame (commitsNeverCheckpoint): a WAL that never started over would hold
            // 200 or more.
            #expect(last.walFrames < 200, "the WAL grew instead of starting over after checkpoints")
            // Each batch is answered before its own checkpoint: the tenth batch (index 9) sees none yet. A checkpoint
            // inside the batch would be seen by its own answer.
            let seen = seenByAnswers.withLock { $0 }
            #expect(seen.count == 200)
            for (index, runs) in seen.enumerated() {
                #expect(runs <= index / 10, "batch \(index) was answered after its own checkpoint")
            }
            #expect(seen == seen.sorted())
            try await store.close()
            let reopened = try SQLiteStore(directory: directory)
            #expect(try await reopened.loadTriggers().first?.count == 200)
            try await reopened.close()
        }
    }

    @Test(arguments: StoreKind.allCases) func sixtyFourConcurrentIncrementsLoseNothing(_ kind: StoreKind) async throws {
        try await withStorePlace(kind) { place in
            let store = try await place.open()
            let hub = TriggerHub()
            let counts = try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<64 {
                    group.addTask {
                        var last: Int64 = 0
                        for _ in 0..<10 {
                            last = try await store.increment(
                                "busy", release: NewRelease(source: .api), now: Date(), afterCommit: hub.publish
                            ).count
                        }
                        return last
                    }
                }
                return try await group.reduce(into: [Int64]()) { $0.append($1) }
            }
            #expect(counts.count == 64)
            #expect(counts.max() == 640)
            #expect(try await store.loadTriggers().first?.count == 640)
            #expect(hub.current("busy").count == 640)
        }
    }

    @Test func committedStatesArePublishedInOrder() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteStore(directory: directory)
            let seen = Seen()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<32 {
                    group.addTask {
                        _ = try await store.increment(
                            "t", release: NewRelease(source: .api), now: Date(),
                            afterCommit: { seen.append($0.count) })
                    }
                }
                try await group.waitForAll()
            }
            #expect(seen.values == Array(1...32))
        }
    }

    @Test(arguments: StoreKind.allCases) func runsAreStoredNewestFirstAndBounded(_ kind: StoreKind) async throws {
        try await withStorePlace(kind) { place in
            let store = try await place.open(runRetention: 5)
            for count in 1...8 {
                _ = try await store.insertRun(
                    RunReport(
                        agent: "web-1", trigger: count % 2 == 0 ? "even" : "odd", count: Int64(count),
                        status: "succeeded"))
            }
            let all = try await store.runs(trigger: nil, limit: 100)
            #expect(all.map(\.count) == [8, 7, 6, 5, 4])
            #expect(try await store.runs(trigger: "even", limit: 2).map(\.count) == [8, 6])
            let id = try #require(all.first?.id)
            #expect(try await store.run(id: id)?.count == 8)
        }
    }

    @Test(arguments: StoreKind.allCases) func aRunReportedTwiceIsStoredOnce(_ kind: StoreKind) async throws {
        try await withStorePlace(kind) { place in
            let store = try await place.open()
            let report = RunReport(id: "r1", agent: "a", trigger: "t", count: 1, status: "failed", logTail: "boom")
            _ = try await store.insertRun(report)
            _ = try await store.insertRun(report)
            let runs = try await store.runs(trigger: nil, limit: 100)
            #expect(runs.count == 1)
            #expect(runs.first == report)
        }
    }

    @Test(arguments: StoreKind.allCases) func agentsRoundTrip(_ kind: StoreKind) async throws {
        try await withStorePlace(kind) { place in
            let store = try await place.open()
            let seenAt = Date(timeIntervalSince1970: 1_800_000_000)
            let agent = AgentRecord(
                name: "web-1", host: "web-1.internal", triggers: ["app"], lastSeen: seenAt, pollIntervalSeconds: 5,
                lastRunID: "r1")
            try await store.saveAgents([agent])
            #expect(try await store.loadAgents() == [agent])
        }
    }

    /// Named tokens: found by digest, listed by name, a duplicate name refused with nothing changed, the last use
    /// kept across a reopen, and a revoked token gone (both stores: replicas read tokens from PostgreSQL).
    @Test(arguments: StoreKind.allCases) func tokensRoundTrip(_ kind: StoreKind) async throws {
        try await withStorePlace(kind) { place in
            let created = Date(timeIntervalSince1970: 1_800_000_000)
            let ci = AccessToken(
                name: "ci", scopes: [.trigger(["web", "api"]), .read], digest: AccessToken.digest(of: "pst_one"),
                createdAt: created)
            let fleet = AccessToken(
                name: "fleet", scopes: [.agent(["web"])], digest: AccessToken.digest(of: "pst_two"), createdAt: created)
            do {
                let store = try await place.open()
                try await store.createToken(fleet)
                try await store.createToken(ci)
                let duplicate = AccessToken(
                    name: "ci", scopes: [.admin], digest: AccessToken.digest(of: "pst_three"), createdAt: created)
                await #expect {
                    try await store.createToken(duplicate)
                } throws: { error in
                    (error as? ServerError)?.status == 409 && "\(error)".contains("a token named 'ci' exists")
                }
                #expect(try await store.token(digest: AccessToken.digest(of: "pst_three")) == nil)
                try await store.tokenUsed(name: "ci", at: created.addingTimeInterval(60))
                try await store.close()
            }
            let store = try await place.open()
            let found = try await store.token(digest: AccessToken.digest(of: "pst_one"))
            #expect(found?.name == "ci")
            #expect(found?.scopes == [.trigger(["web", "api"]), .read])
            #expect(found?.lastUsedAt == created.addingTimeInterval(60))
            #expect(try await store.tokens().map(\.name) == ["ci", "fleet"])
            #expect(try await store.revokeToken(name: "ci"))
            #expect(try await store.revokeToken(name: "ci") == false)
            #expect(try await store.token(digest: AccessToken.digest(of: "pst_one")) == nil)
            #expect(try await store.tokens().map(\.name) == ["fleet"])
        }
    }

    @Test(arguments: StoreKind.allCases) func aDeployWaitReadsTheNewestRunOfEachAgentForOneCountAndEpoch(
        _ kind: StoreKind
    ) async throws {
        try await withStorePlace(kind) { place in
            let store = try await place.open()
            func insert(_ id: String, _ agent: String, _ count: Int64, _ epoch: String?, _ status: RunStatus)
                async throws
            {
                _ = try await store.insertRun(
                    RunReport(id: id, agent: agent, trigger: "app", count: count, epoch: epoch, status: status))
            }
            try await insert("a1", "a", 3, "e", "failed")
            try await insert("a2", "a", 3, "e", "succeeded")  // a's newer run for 3 wins
            try await insert("b1", "b", 3, nil, "failed")  // no epoch: an agent on the original protocol counts
            try await insert("c1", "c", 3, "old-epoch", "failed")  // another database's count 3
            try await insert("d1", "d", 2, "e", "failed")  // another count
            let latest = try await store.latestRuns(trigger: "app", count: 3, epoch: "e")
            #expect(latest.mapValues { $0.id ?? "" } == ["a": "a2", "b": "b1"])
            #expect(try await store.latestRuns(trigger: "other", count: 3, epoch: "e").isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases) func runsAreReadByIDsInOneGo(_ kind: StoreKind) async throws {
        try await withStorePlace(kind) { place in
            let store = try await place.open()
            for index in 0..<1_200 {
                _ = try await store.insertRun(
                    RunReport(id: "r\(index)", agent: "a\(index)", trigger: "app", count: 1, status: "succeeded"))
            }
            let wanted = (0..<1_200).filter { $0 % 2 == 0 }.map { "r\($0)" } + ["missing"]
            let found = try await store.runs(ids: wanted)
            #expect(found.count == 600)
            #expect(found["r1198"]?.agent == "a1198")
            #expect(found["missing"] == nil && found["r1"] == nil)
            #expect(try await store.runs(ids: []).isEmpty)
        }
    }

    @Test func runValidationBoundsTheLogTailAndChecksValues() throws {
        let long = String(repeating: "x", count: 70_000) + "END"
        let report = try RunReport(agent: "a", trigger: "t", count: 1, status: "succeeded", logTail: long).validated()
        #expect(report.logTail?.utf8.count == RunReport.maximumLogTailBytes)
        #expect(report.logTail?.hasSuffix("END") == true)
        #expect(throws: ProtocolError.self) {
            try RunReport(agent: "a", trigger: "t", count: 1, status: "great").validated()
        }
        #expect(throws: ProtocolError.self) {
            try RunReport(agent: "a", trigger: "bad name", count: 1, status: "failed").validated()
        }
        #expect(throws: ProtocolError.self) {
            try RunReport(agent: "a", trigger: "t", count: 1, status: "failed", startedAt: "yesterday").validated()
        }
        #expect(throws: ProtocolError.self) {
            try RunReport(
                agent: "a", trigger: "t", count: 1, status: "failed",
                steps: [.init(index: 0, kind: "shell", status: "meh", durationSeconds: 1)]
            ).validated()
        }
    }
}

/// Collects values appended from other threads.
final class Seen: Sendable {
    private let storage = Mutex<[Int64]>([])
    func append(_ value: Int64) { storage.withLock { $0.append(value) } }
    var values: [Int64] { storage.withLock { $0 } }
}
