import Synchronization

/// One suspended long-poll request; whichever of event, deadline, shutdown or cancellation comes first resumes it.
///
/// It resumes a task's continuation (``wait()``), or calls a closure (``init(then:)``, for a request answered on its
/// connection's event loop, which has no task to suspend).
final class Waiter: Sendable {
    private struct State {
        var continuation: CheckedContinuation<WakeReason, Never>?
        var result: WakeReason?
    }

    let id: UInt64
    private let state = Mutex(State())
    /// Called once, with the first reason, instead of resuming a continuation.
    private let then: (@Sendable (WakeReason) -> Void)?

    private static let nextID = Atomic<UInt64>(0)

    init() {
        id = Self.nextID.wrappingAdd(1, ordering: .relaxed).newValue
        then = nil
    }

    /// A waiter that calls `then` with the first reason it is resumed with (on the thread that resumes it).
    init(then: @escaping @Sendable (WakeReason) -> Void) {
        id = Self.nextID.wrappingAdd(1, ordering: .relaxed).newValue
        self.then = then
    }

    /// Resumes the waiter with `reason` unless something resumed it already.
    func resume(_ reason: WakeReason) {
        let (first, continuation) = state.withLock { state -> (Bool, CheckedContinuation<WakeReason, Never>?) in
            guard state.result == nil else { return (false, nil) }
            state.result = reason
            defer { state.continuation = nil }
            return (true, state.continuation)
        }
        guard first else { return }
        if let then {
            then(reason)
        } else {
            continuation?.resume(returning: reason)
        }
    }

    /// Suspends until `resume`; returns at once if it was resumed before the suspension.
    func wait() async -> WakeReason {
        await withCheckedContinuation { continuation in
            let early: WakeReason? = state.withLock { state in
                if let result = state.result { return result }
                state.continuation = continuation
                return nil
            }
            if let early { continuation.resume(returning: early) }
        }
    }
}
