import Foundation
import Synchronization
import Testing

@testable import ServerCore

@Suite struct StoreTests {
    @Test func incrementsAreDurableAcrossReopen() async throws {
        try await withTemporaryDirectory { directory in
            let epoch: String
            do {
                let store = try ProstagmaStore(directory: directory)
                epoch = store.epoch
                #expect(epoch.count == 32)
                #expect(try await store.increment("app").count == 1)
                #expect(try await store.increment("app").count == 2)
                #expect(try await store.increment("other").count == 1)
                try store.close()
            }
            let reopened = try ProstagmaStore(directory: directory)
            #expect(reopened.epoch == epoch)
            let triggers = try reopened.loadTriggers()
            #expect(triggers.map(\.name) == ["app", "other"])
            #expect(triggers.map(\.count) == [2, 1])
            #expect(triggers[0].lastIncrement != nil)
        }
    }

    @Test func aNewDatabaseHasANewEpoch() async throws {
        try await withTemporaryDirectory { directory in
            let first = try ProstagmaStore(directory: directory + "/a").epoch
            let second = try ProstagmaStore(directory: directory + "/b").epoch
            #expect(first != second)
        }
    }

    @Test func durabilityIsWALWithFullSync() async throws {
        try await withTemporaryDirectory { directory in
            let settings = try ProstagmaStore(directory: directory).durabilitySettings()
            #expect(settings.journalMode == "wal")
            #expect(settings.synchronous == 2)  // FULL
        }
    }

    @Test func sixtyFourConcurrentIncrementsLoseNothing() async throws {
        try await withTemporaryDirectory { directory in
            let store = try ProstagmaStore(directory: directory)
            let hub = TriggerHub()
            let counts = try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<64 {
                    group.addTask {
                        var last: Int64 = 0
                        for _ in 0..<10 { last = try await store.increment("busy", afterCommit: hub.publish).count }
                        return last
                    }
                }
                return try await group.reduce(into: [Int64]()) { $0.append($1) }
            }
            #expect(counts.count == 64)
            #expect(counts.max() == 640)
            #expect(try store.loadTriggers().first?.count == 640)
            #expect(hub.current("busy").count == 640)
        }
    }

    @Test func committedStatesArePublishedInOrder() async throws {
        try await withTemporaryDirectory { directory in
            let store = try ProstagmaStore(directory: directory)
            let seen = Seen()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<32 {
                    group.addTask { _ = try await store.increment("t", afterCommit: { seen.append($0.count) }) }
                }
                try await group.waitForAll()
            }
            #expect(seen.values == Array(1...32))
        }
    }

    @Test func runsAreStoredNewestFirstAndBounded() async throws {
        try await withTemporaryDirectory { directory in
            let store = try ProstagmaStore(directory: directory, runRetention: 5)
            for count in 1...8 {
                _ = try await store.insertRun(
                    RunReport(
                        agent: "web-1", trigger: count % 2 == 0 ? "even" : "odd", count: Int64(count),
                        status: "succeeded"))
            }
            let all = try store.runs()
            #expect(all.map(\.count) == [8, 7, 6, 5, 4])
            #expect(try store.runs(trigger: "even", limit: 2).map(\.count) == [8, 6])
            let id = try #require(all.first?.id)
            #expect(try store.run(id: id)?.count == 8)
        }
    }

    @Test func aRunReportedTwiceIsStoredOnce() async throws {
        try await withTemporaryDirectory { directory in
            let store = try ProstagmaStore(directory: directory)
            let report = RunReport(id: "r1", agent: "a", trigger: "t", count: 1, status: "failed", logTail: "boom")
            _ = try await store.insertRun(report)
            _ = try await store.insertRun(report)
            #expect(try store.runs().count == 1)
            #expect(try store.runs().first == report)
        }
    }

    @Test func agentsRoundTrip() async throws {
        try await withTemporaryDirectory { directory in
            let store = try ProstagmaStore(directory: directory)
            let seenAt = Date(timeIntervalSince1970: 1_800_000_000)
            let agent = AgentRecord(
                name: "web-1", host: "web-1.internal", triggers: ["app"], lastSeen: seenAt, pollIntervalSeconds: 5,
                lastRunID: "r1")
            try await store.saveAgents([agent])
            #expect(try store.loadAgents() == [agent])
        }
    }

    @Test func runValidationBoundsTheLogTailAndChecksValues() throws {
        let long = String(repeating: "x", count: 70_000) + "END"
        let report = try RunReport(agent: "a", trigger: "t", count: 1, status: "succeeded", logTail: long).validated()
        #expect(report.logTail?.utf8.count == RunReport.maximumLogTailBytes)
        #expect(report.logTail?.hasSuffix("END") == true)
        #expect(throws: ServerError.self) {
            try RunReport(agent: "a", trigger: "t", count: 1, status: "great").validated()
        }
        #expect(throws: ServerError.self) {
            try RunReport(agent: "a", trigger: "bad name", count: 1, status: "failed").validated()
        }
        #expect(throws: ServerError.self) {
            try RunReport(agent: "a", trigger: "t", count: 1, status: "failed", startedAt: "yesterday").validated()
        }
        #expect(throws: ServerError.self) {
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
