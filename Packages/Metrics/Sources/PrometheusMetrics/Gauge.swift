import Synchronization

/// A value that goes up and down: one series of a gauge family.
///
/// Every operation is a lock-free atomic update on the handle.
public final class Gauge: Sendable {
    /// The series' labels, pre-rendered as `{a="x",b="y"}` (or "").
    let labelText: String
    private let bits = Atomic<UInt64>(Double(0).bitPattern)

    init(labelText: String) {
        self.labelText = labelText
    }

    /// Sets the gauge to `value`.
    public func set(_ value: Double) {
        bits.store(value.bitPattern, ordering: .relaxed)
    }

    /// Sets the gauge to an integer `value`.
    public func set(_ value: Int) {
        set(Double(value))
    }

    /// Adds `amount` (may be negative).
    public func increment(by amount: Double = 1) {
        AtomicDouble.add(amount, to: bits)
    }

    /// Subtracts `amount`.
    public func decrement(by amount: Double = 1) {
        AtomicDouble.add(-amount, to: bits)
    }

    /// The current value.
    public var value: Double {
        Double(bitPattern: bits.load(ordering: .relaxed))
    }
}
