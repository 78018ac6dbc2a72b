import GRDB
import Synchronization

/// Runs write operations in shared transactions ("group commit"): while one transaction commits, new
/// operations queue up and go into the next one together. With `synchronous=FULL` every commit costs an
/// fsync; sharing it is what lets concurrent increments reach thousands per second while each caller is
/// still answered only after its own change is durable.
///
/// Each operation runs in its own savepoint, so one failing operation does not undo the others.
/// Completions run on the database writer queue, in commit order.
final class GroupCommitter: Sendable {
    struct Operation: Sendable {
        let apply: @Sendable (Database) throws -> Void
        let finish: @Sendable ((any Error)?) -> Void
    }

    private struct Queue {
        var operations: [Operation] = []
        var writing = false
    }

    private let writer: DatabasePool
    private let queue = Mutex(Queue())
    /// Asked after each batch, once its callers are answered.
    let checkpointer: WALCheckpointer

    init(writer: DatabasePool, checkpointer: WALCheckpointer) {
        self.writer = writer
        self.checkpointer = checkpointer
    }

    /// Runs `body` in the next group transaction and returns its result once that transaction has
    /// committed. `afterCommit` runs on the writer queue right after the commit, in commit order
    /// (used to publish new trigger states in order).
    func perform<T: Sendable>(
        _ body: @escaping @Sendable (Database) throws -> T,
        afterCommit: (@Sendable (T) -> Void)? = nil
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let box = ResultBox<T>()
            let operation = Operation(
                apply: { db in box.value = try body(db) },
                finish: { error in
                    if let error {
                        continuation.resume(throwing: error)
                    } else if let value = box.value {
                        afterCommit?(value)
                        continuation.resume(returning: value)
                    } else {
                        continuation.resume(throwing: ServerError.unavailable("the write produced no result"))
                    }
                }
            )
            let start = queue.withLock { queue -> Bool in
                queue.operations.append(operation)
                if queue.writing { return false }
                queue.writing = true
                return true
            }
            if start {
                writer.asyncWriteWithoutTransaction { db in self.drain(db) }
            }
        }
    }

    /// Commits batches until the queue is empty; runs on the writer's serial queue.
    private func drain(_ db: Database) {
        while true {
            let batch = queue.withLock { queue -> [Operation] in
                if queue.operations.isEmpty {
                    queue.writing = false
                    return []
                }
                defer { queue.operations.removeAll(keepingCapacity: true) }
                return queue.operations
            }
            if batch.isEmpty { return }
            var errors = [(any Error)?](repeating: nil, count: batch.count)
            do {
                try db.inTransaction(.immediate) {
                    for (index, operation) in batch.enumerated() {
                        do {
                            try db.inSavepoint {
                                try operation.apply(db)
                                return .commit
                            }
                        } catch {
                            errors[index] = error
                        }
                    }
                    return .commit
                }
                for (index, operation) in batch.enumerated() { operation.finish(errors[index]) }
            } catch {
                for operation in batch { operation.finish(error) }
            }
            checkpointer.batchCommitted(db, operationsWaiting: queue.withLock { !$0.operations.isEmpty })
        }
    }
}

/// Carries one operation's result from its savepoint to its completion. Both run on the database
/// writer's serial queue, one after the other, so the unchecked Sendable is sound.
private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}
