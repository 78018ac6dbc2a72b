import GRDB
import Synchronization
import Testing

@testable import ServerCore

/// A failed checkpoint loses nothing (the next batch retries), but the WAL grows meanwhile: the operator is told once
/// per run of failures, with the error, and told again when a checkpoint succeeds after them.
@Suite(.timeLimit(.minutes(1)))
struct WALCheckpointerTests {
    struct DiskFull: Error, CustomStringConvertible {
        var description: String { "SQLite error 13: database or disk is full" }
    }

    @Test func aRunOfFailedCheckpointsIsLoggedOnceAndTheRecoveryToo() throws {
        let capture = LogCapture()
        // Batches 1-3 fail, 4 succeeds, 5 fails again.
        let outcomes: [Bool] = [false, false, false, true, false]
        let calls = Mutex(0)
        let checkpointer = WALCheckpointer(
            every: 1, interval: .seconds(3600), path: "/data/prostagma.sqlite", logger: capture.logger
        ) { _ in
            let call = calls.withLock { calls in
                defer { calls += 1 }
                return calls
            }
            guard outcomes[call] else { throw DiskFull() }
            return WALCheckpointer.Outcome(walFrames: 7, checkpointedFrames: 7)
        }
        let database = try DatabaseQueue()
        var warnings: [Int] = []
        var notices: [Int] = []
        for batch in outcomes.indices {
            try database.inDatabase { db in checkpointer.batchCommitted(db, operationsWaiting: false) }
            let text = capture.text
            warnings.append(text.components(separatedBy: "warning WAL checkpoint").count - 1)
            notices.append(text.components(separatedBy: "notice WAL checkpoint succeeded after 3 failed").count - 1)
            #expect(checkpointer.status.runs == batch + 1)
            #expect((checkpointer.status.lastError == nil) == outcomes[batch])
        }
        #expect(calls.withLock { $0 } == outcomes.count)
        // One warning for batches 1-3, one notice at 4, a new warning at 5.
        #expect(warnings == [1, 1, 1, 1, 2])
        #expect(notices == [0, 0, 0, 1, 1])
        let text = capture.text
        #expect(text.contains("/data/prostagma.sqlite"), "the warning says which database")
        #expect(text.contains("disk is full"), "the warning carries the error")
        #expect(checkpointer.status.last == WALCheckpointer.Outcome(walFrames: 7, checkpointedFrames: 7))
    }
}
