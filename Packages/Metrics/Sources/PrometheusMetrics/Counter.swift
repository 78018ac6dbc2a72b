import Synchronization

/// A monotonically increasing value: one series of a counter family.
///
/// Keep the handle and call ``increment(by:)`` on it: the hot path is one lock-free atomic update, with no
/// dictionary lookup and no lock.
public final class Counter: Sendable {
    /// The series' labels, pre-rendered as `{a="x",b="y"}` (or "").
    let labelText: String
    private let bits = Atomic<UInt64>(Double(0).bitPattern)

    init(labelText: String) {
        self.labelText = labelText
    }

    /// Adds `amount` (which must not be negative) to the counter.
    public func increment(by amount: Double = 1) {
        precondition(amount >= 0, "a counter cannot decrease (increment by \(amount))")
        AtomicDouble.add(amount, to: bits)
    }

    /// Adds an integer `amount` (which must not be negative) to the counter.
    public func increment(by amount: Int) {
        increment(by: Double(amount))
    }

    /// The current value.
    public var value: Double {
        Double(bitPattern: bits.load(ordering: .relaxed))
    }
}

/// Floating-point arithmetic on an `Atomic<UInt64>` holding a `Double`'s bit pattern.
enum AtomicDouble {
    static func add(_ amount: Double, to bits: borrowing Atomic<UInt64>) {
        var old = bits.load(ordering: .relaxed)
        while true {
            let new = (Double(bitPattern: old) + amount).bitPattern
            let (exchanged, current) = bits.weakCompareExchange(
                expected: old, desired: new, successOrdering: .relaxed, failureOrdering: .relaxed)
            if exchanged { return }
            old = current
        }
    }
}
