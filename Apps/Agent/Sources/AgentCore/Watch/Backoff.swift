/// Exponential back-off with full jitter: the n-th consecutive failure waits a random time in
/// [cap/2, cap] where cap = min(initial * 2^(n-1), maximum). Pure: the random source is injected.
public struct Backoff: Sendable {
    /// The first delay's upper bound.
    public var initial: Duration
    /// The largest delay.
    public var maximum: Duration
    /// Consecutive failures so far.
    public private(set) var failures = 0

    /// A back-off from `initial` to `maximum` (1 s to 30 s by default).
    public init(initial: Duration = .seconds(1), maximum: Duration = .seconds(30)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// Records a failure and returns how long to wait; `random` returns a value in [0, 1).
    public mutating func nextDelay(random: () -> Double) -> Duration {
        failures += 1
        var cap = initial
        var n = 1
        while n < failures && cap < maximum {
            cap = cap * 2
            n += 1
        }
        if cap > maximum { cap = maximum }
        let fraction = 0.5 + 0.5 * min(max(random(), 0), 1)
        return cap * fraction
    }

    /// Forgets the failures after a success.
    public mutating func reset() { failures = 0 }
}
