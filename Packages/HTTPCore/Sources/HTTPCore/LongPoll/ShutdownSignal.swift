import Synchronization

/// Fires once when the server begins a graceful shutdown; long polls waiting on it answer at once.
public final class ShutdownSignal: Sendable {
    private struct State {
        var triggered = false
        var waiters: [UInt64: Waiter] = [:]
    }

    private let state = Mutex(State())

    /// Creates a signal that has not fired.
    public init() {}

    /// Whether the shutdown has begun.
    public var isTriggered: Bool {
        state.withLock { $0.triggered }
    }

    /// Fires the signal (once; later calls do nothing) and wakes every waiter with `.shutdown`.
    public func trigger() {
        let waiters: [UInt64: Waiter] = state.withLock { state in
            guard !state.triggered else { return [:] }
            state.triggered = true
            defer { state.waiters = [:] }
            return state.waiters
        }
        for waiter in waiters.values { waiter.resume(.shutdown) }
    }

    /// Suspends until the signal fires (or the task is cancelled).
    public func wait() async {
        let waiter = Waiter()
        guard register(waiter) else { return }
        defer { remove(waiter) }
        _ = await withTaskCancellationHandler {
            await waiter.wait()
        } onCancel: {
            waiter.resume(.shutdown)
        }
    }

    func register(_ waiter: Waiter) -> Bool {
        state.withLock { state in
            guard !state.triggered else { return false }
            state.waiters[waiter.id] = waiter
            return true
        }
    }

    func remove(_ waiter: Waiter) {
        _ = state.withLock { $0.waiters.removeValue(forKey: waiter.id) }
    }
}
