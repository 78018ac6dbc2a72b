import Synchronization

/// One suspended long-poll request; whichever of event, deadline, shutdown or cancellation comes first resumes it.
final class Waiter: Sendable {
    private struct State {
        var continuation: CheckedContinuation<WakeReason, Never>?
        var result: WakeReason?
    }

    let id: UInt64
    private let state = Mutex(State())

    private static let nextID = Atomic<UInt64>(0)

    init() {
        id = Self.nextID.wrappingAdd(1, ordering: .relaxed).newValue
    }

    /// Resumes the waiter with `reason` unless something resumed it already.
    func resume(_ reason: WakeReason) {
        let continuation: CheckedContinuation<WakeReason, Never>? = state.withLock { state in
            guard state.result == nil else { return nil }
            state.result = reason
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: reason)
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
