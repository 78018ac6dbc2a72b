import Foundation
import Synchronization

/// Who polls a trigger with the original protocol's `GET /trigger`: such an agent sends no name and is not gated
/// by a rollout (it sees every count at once), so the status page lists it by address as "ungated".
public final class OriginalPollers: Sendable {
    /// One address that polled a trigger.
    public struct Poller: Sendable, Equatable {
        /// The client's IP address.
        public var address: String
        /// When it last polled.
        public var lastSeen: Date

        /// Makes an entry.
        public init(address: String, lastSeen: Date) {
            self.address = address
            self.lastSeen = lastSeen
        }
    }

    /// How long after its last poll an address is still listed.
    public static let window: TimeInterval = 300
    /// The most addresses kept per trigger (the oldest are dropped).
    static let limit = 256

    private let seen = Mutex<[String: [String: Date]]>([:])

    /// Makes an empty registry.
    public init() {}

    /// `address` polled `trigger` at `now`.
    public func touch(trigger: String, address: String, now: Date) {
        // In place (no copy of the trigger's dictionary): this runs on every original-protocol poll.
        seen.withLock { seen in
            seen[trigger, default: [:]][address] = now
            if let addresses = seen[trigger], addresses.count > Self.limit,
                let oldest = addresses.min(by: { $0.value < $1.value })?.key
            {
                seen[trigger]?[oldest] = nil
            }
        }
    }

    /// The addresses that polled `trigger` within ``window`` of `now`, by address.
    public func pollers(of trigger: String, now: Date) -> [Poller] {
        seen.withLock { $0[trigger] ?? [:] }
            .filter { now.timeIntervalSince($0.value) <= Self.window }
            .map { Poller(address: $0.key, lastSeen: $0.value) }
            .sorted { $0.address < $1.address }
    }
}
