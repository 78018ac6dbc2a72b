import Foundation

/// A store several server replicas share (``PostgresStore``): there, rollout decisions are taken on the stored
/// machine, one at a time per trigger, never on a replica's own copy (docs/decisions.md, "Rollouts across
/// replicas").
public protocol SharedRolloutStore: Sendable {
    /// In one transaction that holds `trigger`'s rollout lock: reads the stored rollout, or takes `fresh` when none
    /// is stored or the stored one is of an older count (a rollout this replica just started); applies `event`;
    /// stores the result when it made progress (a new revision, announced as `o TRIGGER` on COMMIT); returns the
    /// machine before and after the event. Nil when there is neither. An error `event` throws rolls back and is
    /// rethrown.
    func updateRollout(
        of trigger: String, fresh: RolloutMachine?,
        _ event: @escaping @Sendable (inout RolloutMachine) throws(ServerError) -> Void
    ) async throws(ServerError) -> RolloutUpdate?

    /// `trigger`'s stored rollout with its revision; nil when it has none.
    func storedRollout(of trigger: String) async throws(ServerError) -> StoredRollout?

    /// Every stored rollout with its revision.
    func storedRollouts() async throws(ServerError) -> [StoredRollout]
}

/// A rollout as stored: the machine and its revision, which grows by one at every write of the trigger's row (so a
/// replica never takes an older read for a newer one).
public struct StoredRollout: Sendable, Equatable {
    /// The machine.
    public var machine: RolloutMachine
    /// The row's revision.
    public var revision: Int64
}

/// What ``SharedRolloutStore/updateRollout(of:fresh:_:)`` did.
public struct RolloutUpdate: Sendable {
    /// The machine the event was applied to.
    public var before: RolloutMachine
    /// The machine after the event, as stored.
    public var after: StoredRollout
}
