import Foundation
import Synchronization

/// The webhook deliveries accepted recently, so that a captured delivery replayed as is (against any trigger)
/// is refused. Held in memory: a restart forgets it, and replicas do not share it (docs/decisions.md).
public final class DeliveryLog: Sendable {
    /// How long a delivery id is remembered: 24 hours.
    public static let window: TimeInterval = 24 * 3600
    /// The most ids remembered; the oldest go first beyond it.
    public static let capacity = 100_000

    private struct State {
        var accepted: [String: Date] = [:]
        var order: [(key: String, at: Date)] = []
        var head = 0
    }

    private let state = Mutex(State())

    /// Creates an empty log.
    public init() {}

    /// Records `key` at `now`; returns when it was first accepted if it already was within the window.
    public func claim(_ key: String, now: Date) -> Date? {
        state.withLock { state in
            // Forget what fell out of the window or over capacity.
            while state.head < state.order.count {
                let (oldest, at) = state.order[state.head]
                guard now.timeIntervalSince(at) > Self.window || state.order.count - state.head > Self.capacity
                else { break }
                if state.accepted[oldest] == at { state.accepted[oldest] = nil }
                state.head += 1
            }
            if state.head > 1024, state.head * 2 > state.order.count {
                state.order.removeFirst(state.head)
                state.head = 0
            }
            if let first = state.accepted[key], now.timeIntervalSince(first) <= Self.window { return first }
            state.accepted[key] = now
            state.order.append((key, now))
            return nil
        }
    }

    /// Forgets `key` (its increment failed, so the forge's redelivery must count).
    public func release(_ key: String) {
        _ = state.withLock { $0.accepted.removeValue(forKey: key) }
    }
}
