import Synchronization

/// Observations counted into buckets: one series of a histogram family.
///
/// ``observe(_:)`` finds the bucket outside the lock, then takes a `Mutex` for three additions, so `_sum`,
/// `_count` and the buckets of one scrape always agree.
public final class Histogram: Sendable {
    /// The default buckets (seconds), the same as the Go and Python clients'.
    public static let defaultBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    struct State {
        var counts: [UInt64]
        var sum: Double = 0
        var count: UInt64 = 0
    }

    /// Upper bounds, strictly increasing, without `+Inf`.
    let upperBounds: [Double]
    /// The series' labels rendered without braces (`a="x",b="y"`), so `le` can be appended.
    let labelPairs: String
    private let state: Mutex<State>

    init(upperBounds: [Double], labelPairs: String) {
        self.upperBounds = upperBounds
        self.labelPairs = labelPairs
        self.state = Mutex(State(counts: Array(repeating: 0, count: upperBounds.count + 1)))
    }

    /// Records one observation.
    public func observe(_ value: Double) {
        let index = bucketIndex(for: value)
        state.withLock { state in
            state.counts[index] &+= 1
            state.sum += value
            state.count &+= 1
        }
    }

    /// Records a duration in seconds.
    public func observe(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        observe(Double(seconds) + Double(attoseconds) / 1e18)
    }

    /// The number of observations so far.
    public var count: UInt64 {
        state.withLock { $0.count }
    }

    /// The sum of all observations so far.
    public var sum: Double {
        state.withLock { $0.sum }
    }

    /// Cumulative counts per upper bound, ending with `+Inf` (equal to ``count``).
    public var cumulativeCounts: [(upperBound: Double, count: UInt64)] {
        let snapshot = state.withLock { $0 }
        var running: UInt64 = 0
        var result: [(upperBound: Double, count: UInt64)] = []
        for (index, bucket) in snapshot.counts.enumerated() {
            running &+= bucket
            result.append((index < upperBounds.count ? upperBounds[index] : .infinity, running))
        }
        return result
    }

    /// The index of the first bucket whose upper bound is >= value (binary search); NaN goes to `+Inf`.
    func bucketIndex(for value: Double) -> Int {
        var low = 0
        var high = upperBounds.count
        while low < high {
            let mid = (low + high) / 2
            if upperBounds[mid] >= value { high = mid } else { low = mid + 1 }
        }
        return low
    }

    func render(name: String, formattedBounds: [String], into out: inout String) {
        let snapshot = state.withLock { $0 }
        let prefix = labelPairs.isEmpty ? "{le=\"" : "{" + labelPairs + ",le=\""
        var running: UInt64 = 0
        for index in snapshot.counts.indices {
            running &+= snapshot.counts[index]
            out += name
            out += "_bucket"
            out += prefix
            out += formattedBounds[index]
            out += "\"} "
            out += String(running)
            out += "\n"
        }
        let braces = labelPairs.isEmpty ? "" : "{" + labelPairs + "}"
        out += name
        out += "_sum"
        out += braces
        out += " "
        out += Exposition.formatValue(snapshot.sum)
        out += "\n"
        out += name
        out += "_count"
        out += braces
        out += " "
        out += String(snapshot.count)
        out += "\n"
    }
}
