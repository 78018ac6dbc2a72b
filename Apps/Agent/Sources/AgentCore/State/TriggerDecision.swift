/// What to do when the server reports a trigger's state, given what the agent remembers. Pure.
///
/// - Nothing remembered (first start ever): adopt the current count, run nothing (as the original did).
/// - Epoch changed (the server lost or replaced its database): adopt, warn, run nothing.
/// - Count went down (the same): adopt, warn, run nothing.
/// - Count unchanged: nothing.
/// - Count went up (a trigger while running, or while the agent was down): run once for the newest count.
///
/// An epoch is compared only when both sides have one: the original protocol has none.
public enum TriggerDecision: Sendable, Equatable {
    /// Nothing to do.
    case nothing
    /// Store the observed state without running; `warning` says why when it deserves one.
    case adopt(warning: String?)
    /// Run the script for `count`.
    case run(count: Int)

    /// Decides what to do with `observed` when `stored` is remembered.
    public static func decide(stored: HandledState?, observed: Observation) -> TriggerDecision {
        guard let stored else { return .adopt(warning: nil) }
        if let old = stored.epoch, let new = observed.epoch, old != new {
            return .adopt(
                warning: "the server's epoch changed (\(old) -> \(new)): it lost or replaced its data; "
                    + "adopting count \(observed.count) without running"
            )
        }
        if observed.count < stored.count {
            return .adopt(
                warning: "the count went down (\(stored.count) -> \(observed.count)): the server lost its "
                    + "count; adopting it without running"
            )
        }
        if observed.count == stored.count { return .nothing }
        return .run(count: observed.count)
    }
}

extension TriggerDecision {
    /// Which release a run for `count` deploys: the one the server sent with `count` when it sent one, else the one
    /// kept in the state for a run of `count` that did not finish (the agent was killed and the server, back now,
    /// sends no release), else none (no params).
    ///
    /// A kept release of another count is not used: when the server has moved on, the newest count's release wins,
    /// as coalescing has it.
    public static func release(for count: Int, observed: Release?, stored: HandledState?) -> Release? {
        if let observed, observed.count == Int64(count) { return observed }
        if let kept = stored?.running, kept.count == Int64(count) { return kept }
        return nil
    }
}
