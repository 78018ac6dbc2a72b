import GRDB
import Logging
import Synchronization

/// When the WAL is copied back into the database file: on the writer's connection, after a batch's callers have
/// their answers, never inside a commit.
///
/// SQLite's default (`wal_autocheckpoint`, 1,000 frames) checkpoints inside the commit that crosses the threshold:
/// that commit, the increment's answer and every long poll it wakes waited for about 4 MB of page copies and an
/// fsync of the database file (a 1,000-poll wake-up measured 84 ms in that round against 36 ms in the others). The
/// store turns that off, and ``GroupCommitter`` asks this policy after each batch, once the batch is answered:
/// - checkpoint when no operation is waiting (the writer is idle, so the checkpoint delays nobody) and `every`
///   batches have committed since the last checkpoint, or `interval` has passed since it and any batch has (a WAL
///   left to grow between rare checkpoints makes every commit's fsync extend the file); and when `4 × every`
///   batches have committed, whatever is waiting (the WAL stays bounded under a load that never pauses);
/// - on the writer, between transactions: nothing is appended while it copies, so it catches up, and the next
///   transaction starts the WAL file over (rewriting its blocks costs less to fsync than growing it; a checkpoint
///   on another connection, tried first, never caught up under load and let the WAL grow past 100 MB).
///
/// A checkpoint is never needed for durability: a commit is durable once its WAL frames are fsynced
/// (`synchronous=FULL`). A failed one is retried after the next batch, so nothing is lost, but the WAL then grows
/// and every read walks more of it: the first failure of a run of them is logged as a warning with the error, and
/// the first success after them with how many failed (a failure on every batch logs once, not once per batch).
final class WALCheckpointer: Sendable {
    /// A checkpoint's outcome: frames in the WAL, and how many of them are now in the database file.
    struct Outcome: Sendable, Equatable {
        var walFrames: Int
        var checkpointedFrames: Int
    }

    private struct State {
        var batchesSince = 0
        var lastCheckpoint = ContinuousClock.now
        var runs = 0
        var last: Outcome?
        var lastError: String?
        /// Failed checkpoints since the last success.
        var failuresInARow = 0
    }

    /// Batches between checkpoints when the writer is idle; nil never checkpoints (tests of what commits do alone).
    let every: Int?
    /// The longest a committed batch waits for a checkpoint while the writer is idle.
    let interval: Duration
    /// The database's path, for log lines.
    private let path: String
    private let logger: Logger
    private let checkpoint: @Sendable (Database) throws -> Outcome
    private let state = Mutex(State())

    /// `checkpoint` is the checkpoint itself (SQLite's PASSIVE one; tests give one that fails).
    init(
        every: Int?, interval: Duration = .seconds(1), path: String, logger: Logger,
        checkpoint: @escaping @Sendable (Database) throws -> Outcome = WALCheckpointer.passive
    ) {
        self.every = every
        self.interval = interval
        self.path = path
        self.logger = logger
        self.checkpoint = checkpoint
    }

    /// SQLite's PASSIVE checkpoint: copies what no reader still needs, waits for nobody.
    static func passive(_ db: Database) throws -> Outcome {
        let counts = try db.checkpoint(.passive)
        return Outcome(walFrames: counts.walFrameCount, checkpointedFrames: counts.checkpointedFrameCount)
    }

    /// After a batch committed and its callers were answered, on the writer's queue: checkpoints when due.
    func batchCommitted(_ db: Database, operationsWaiting: Bool) {
        guard let every else { return }
        let now = ContinuousClock.now
        let due = state.withLock { state -> Bool in
            state.batchesSince += 1
            if operationsWaiting { return state.batchesSince >= 4 * every }
            return state.batchesSince >= every || state.lastCheckpoint.duration(to: now) >= interval
        }
        guard due else { return }
        let result = Result { try checkpoint(db) }
        let (failed, recovered) = state.withLock { state -> (failed: Bool, recovered: Int) in
            state.runs += 1
            switch result {
            case .success(let outcome):
                state.batchesSince = 0
                state.lastCheckpoint = now
                state.last = outcome
                state.lastError = nil
                defer { state.failuresInARow = 0 }
                return (false, state.failuresInARow)
            case .failure(let error):
                // The next batch tries again.
                state.lastError = "\(error)"
                state.failuresInARow += 1
                return (state.failuresInARow == 1, 0)
            }
        }
        if failed, case .failure(let error) = result {
            logger.warning(
                "WAL checkpoint of \(path) failed; retried after the next batch (the WAL grows meanwhile)",
                metadata: ["error": "\(error)"])
        } else if recovered > 0 {
            logger.notice("WAL checkpoint succeeded after \(recovered) failed in a row")
        }
    }

    /// How many checkpoints ran, and the latest one's outcome or error.
    var status: (runs: Int, last: Outcome?, lastError: String?) {
        state.withLock { ($0.runs, $0.last, $0.lastError) }
    }
}
