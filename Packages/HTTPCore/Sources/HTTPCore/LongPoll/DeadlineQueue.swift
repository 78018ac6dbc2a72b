/// The deadlines of a notifier's waiters, earliest first (pure: no clock, no timers).
///
/// One timer per notifier, set to `earliest`, replaces a scheduled task per waiter: a waiter costs one entry here.
/// Deadlines of long polls mostly arrive in increasing order, so inserting is usually an append.
struct DeadlineQueue: Sendable {
    struct Entry: Sendable, Equatable {
        var deadline: ContinuousClock.Instant
        var id: UInt64

        static func < (lhs: Entry, rhs: Entry) -> Bool {
            (lhs.deadline, lhs.id) < (rhs.deadline, rhs.id)
        }
    }

    private(set) var entries: [Entry] = []

    /// The earliest deadline, if any.
    var earliest: ContinuousClock.Instant? { entries.first?.deadline }

    var count: Int { entries.count }

    /// Adds waiter `id` with `deadline`; returns whether it is now the earliest (the timer must move).
    @discardableResult
    mutating func insert(_ deadline: ContinuousClock.Instant, id: UInt64) -> Bool {
        let entry = Entry(deadline: deadline, id: id)
        let index = lowerBound(entry)
        entries.insert(entry, at: index)
        return index == 0
    }

    /// Removes waiter `id` with `deadline` if present.
    mutating func remove(_ deadline: ContinuousClock.Instant, id: UInt64) {
        let entry = Entry(deadline: deadline, id: id)
        let index = lowerBound(entry)
        if index < entries.count, entries[index] == entry { entries.remove(at: index) }
    }

    /// Removes and returns the ids whose deadline is at or before `now`, earliest first.
    mutating func popExpired(now: ContinuousClock.Instant) -> [UInt64] {
        var end = 0
        while end < entries.count, entries[end].deadline <= now { end += 1 }
        let expired = entries[..<end].map(\.id)
        entries.removeFirst(end)
        return expired
    }

    /// Forgets every deadline (all waiters were woken).
    mutating func removeAll() {
        entries = []
    }

    private func lowerBound(_ entry: Entry) -> Int {
        // Fast path: a new long poll's deadline is usually the latest.
        if let last = entries.last, last < entry { return entries.count }
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle] < entry { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
