import Synchronization

private enum JoinAction { case cancelled, joined, start }

/// Runs at most one operation per key at a time; callers asking for a key that is already running wait for it.
///
/// The operation runs in its own task, not in any caller's: a caller that is cancelled stops waiting at once
/// (with `CancellationError`) while the operation goes on for the others, and runs to completion even when
/// every caller has gone (its result is then simply dropped; for the cache, the artifact stays cached).
/// The operation's error reaches every waiter.
final class SingleFlight<Value: Sendable>: Sendable {
    private struct Flight {
        var waiters: [UInt64: CheckedContinuation<Value, any Error>] = [:]
        var task: Task<Void, Never>?
    }

    private struct State {
        var flights: [String: Flight] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    /// The result of the running or a new operation for `key`.
    func run(key: String, operation: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
                let action: JoinAction = state.withLock { state in
                    // Checked under the lock: either this sees the cancellation, or onCancel sees the waiter.
                    if Task.isCancelled { return .cancelled }
                    if state.flights[key] != nil {
                        state.flights[key]!.waiters[id] = continuation
                        return .joined
                    }
                    state.flights[key] = Flight(waiters: [id: continuation])
                    return .start
                }
                switch action {
                case .cancelled:
                    continuation.resume(throwing: CancellationError())
                case .joined:
                    break
                case .start:
                    let task = Task { await self.execute(key: key, operation: operation) }
                    state.withLock { $0.flights[key]?.task = task }
                }
            }
        } onCancel: {
            let continuation = state.withLock { $0.flights[key]?.waiters.removeValue(forKey: id) }
            continuation?.resume(throwing: CancellationError())
        }
    }

    /// Number of operations running now.
    var running: Int { state.withLock { $0.flights.count } }

    /// Waits until every operation running now has finished.
    func waitForAll() async {
        let tasks = state.withLock { $0.flights.values.compactMap(\.task) }
        for task in tasks { await task.value }
    }

    private func execute(key: String, operation: @Sendable () async throws -> Value) async {
        let result: Result<Value, any Error>
        do {
            result = .success(try await operation())
        } catch {
            result = .failure(error)
        }
        let waiters = state.withLock { $0.flights.removeValue(forKey: key)?.waiters ?? [:] }
        for waiter in waiters.values { waiter.resume(with: result) }
    }
}
