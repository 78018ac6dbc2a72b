import Foundation
import Logging
import PostgresNIO
import ProstagmaProtocol
import Synchronization

/// Group commit for ``PostgresStore``'s increments, as ``GroupCommitter`` does for SQLite: while one transaction
/// commits, the increments that arrive queue up and go into the next transaction together.
///
/// Increments of one trigger serialize on its row lock, which PostgreSQL holds until the COMMIT's WAL flush; one
/// transaction per increment would allow one increment per flush on a hot trigger. One transaction per batch (up to
/// ``maximumBatch``) pays one flush for all of them, and each caller is still answered only after that COMMIT. The
/// batch is one statement (``PostgresStore/batchIncrementQuery(_:)``), so its transaction is three round trips.
/// When a batch's transaction fails, each of its increments is retried in a transaction of its own, so one bad
/// increment fails alone. One batch runs at a time per replica; other replicas batch their own.
final class PostgresGroupCommit: Sendable {
    /// Most increments in one transaction.
    static let maximumBatch = 256

    private struct Item: Sendable {
        let name: String
        let release: NewRelease
        let now: Date
        let deadline: ContinuousClock.Instant
        let continuation: CheckedContinuation<TriggerState, any Error>
    }

    private struct Queue {
        var items: [Item] = []
        var running = false
    }

    private let client: PostgresClient
    private let logger: Logger
    private let timeout: Duration
    private let queue = Mutex(Queue())

    /// `timeout` is the store's operation deadline: an increment still queued past it is not attempted (its caller
    /// was answered 503), and a batch's transaction is given that long.
    init(client: PostgresClient, logger: Logger, timeout: Duration) {
        self.client = client
        self.logger = logger
        self.timeout = timeout
    }

    /// Increments `name` in the next batch; returns the new state once its transaction committed.
    func increment(_ name: String, release: NewRelease, now: Date) async throws -> TriggerState {
        try await withCheckedThrowingContinuation { continuation in
            let lead = queue.withLock { queue -> Bool in
                queue.items.append(
                    Item(
                        name: name, release: release, now: now, deadline: .now + timeout, continuation: continuation))
                guard !queue.running else { return false }
                queue.running = true
                return true
            }
            // The first caller of an idle queue starts the loop that drains it; it ends when the queue is empty.
            if lead { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let batch = queue.withLock { queue -> [Item] in
                let batch = Array(queue.items.prefix(Self.maximumBatch))
                queue.items.removeFirst(batch.count)
                if batch.isEmpty { queue.running = false }
                return batch
            }
            if batch.isEmpty { return }
            let now = ContinuousClock.now
            for item in batch where item.deadline <= now {
                item.continuation.resume(throwing: PostgresStore.Timeout(after: timeout))
            }
            let live = batch.filter { $0.deadline > now }
            if !live.isEmpty { await commit(live) }
        }
    }

    private func commit(_ batch: [Item]) async {
        let (client, logger) = (self.client, self.logger)
        let work = batch.map { (name: $0.name, release: $0.release, now: $0.now) }
        do {
            let states = try await PostgresStore.bounded(timeout) {
                try await client.withTransaction(logger: logger) { connection in
                    // The whole batch is one statement: one round trip between BEGIN and COMMIT, however many
                    // increments it holds.
                    let rows = try await connection.query(PostgresStore.batchIncrementQuery(work), logger: logger)
                    return try await PostgresStore.batchIncremented(rows, work)
                }
            }
            for (item, state) in zip(batch, states) { item.continuation.resume(returning: state) }
        } catch {
            // A statement the server refused aborted the whole batch: retry each alone, so only the bad one fails.
            // Anything else (no connection, no answer) would fail them all again.
            if batch.count > 1, Self.refusedStatement(error) {
                for item in batch { await commit([item]) }
                return
            }
            for item in batch { item.continuation.resume(throwing: error) }
        }
    }

    /// Whether `error` is the server refusing one of the batch's statements.
    static func refusedStatement(_ error: any Error) -> Bool {
        guard let error = error as? PostgresTransactionError, let inner = error.closureError as? PSQLError else {
            return false
        }
        return inner.serverInfo != nil
    }
}
