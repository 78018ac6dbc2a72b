import Foundation
import ProstagmaProtocol

/// Where the server keeps its state: trigger counts and their releases, run reports and agents, under one epoch.
///
/// Every read and write is `async`: an implementation does its I/O off the cooperative pool (GRDB's own queues
/// for ``SQLiteStore``; a PostgreSQL connection's event loop for a networked store), so a request handler never
/// blocks a thread of the pool on the database. Errors are ``ServerError``s that say what could not be done: a
/// failed write is `unavailable` (503), and the caller may retry.
public protocol ServerStore: Sendable {
    /// The random id made when the store was created; agents compare it to notice lost data.
    var epoch: String { get }

    /// Every trigger's committed state, by name, each with the release of its current count (none for a count
    /// made before the store recorded releases).
    func loadTriggers() async throws(ServerError) -> [TriggerState]

    /// Increments `name` and records `release` for the new count in the same transaction; returns the new state
    /// (carrying the release) once both are durable. `afterCommit` runs in commit order before the caller resumes
    /// (the hub publishes from it, so long polls never see counts out of order).
    func increment(
        _ name: String, release: NewRelease, now: Date, afterCommit: (@Sendable (TriggerState) -> Void)?
    ) async throws(ServerError) -> TriggerState

    /// Increments `name` with a release that copies the params of the release `target` names (`rollback_of` it),
    /// all in one transaction. Throws 422 when the count has no release and 409 when `previous` finds none; nothing
    /// is recorded then. `note` defaults to one naming the rollback; `requestedBy` as for an increment.
    func rollback(
        _ name: String, to target: RollbackRequest.Target, note: String?, requestedBy: String?, now: Date,
        afterCommit: (@Sendable (TriggerState) -> Void)?
    ) async throws(ServerError) -> TriggerState

    /// The release of `trigger` at `count`, with its outcome; nil when that count has none.
    func release(trigger: String, count: Int64) async throws(ServerError) -> Release?

    /// A page of `trigger`'s releases below count `before` (all when nil), newest first, each with its outcome;
    /// `nextBefore` is set when older releases remain.
    func releases(trigger: String, before: Int64?, limit: Int) async throws(ServerError) -> ReleaseList

    /// The releases of `trigger` at `counts` (without outcomes), by count; counts without one are left out.
    func releases(trigger: String, counts: [Int64]) async throws(ServerError) -> [Int64: Release]

    /// Stores a validated report (replacing one with the same id), giving it an id when it has none; returns it
    /// as stored.
    func insertRun(_ report: RunReport, receivedAt: Date) async throws(ServerError) -> RunReport

    /// Reports, newest first, optionally of one trigger.
    func runs(trigger: String?, limit: Int) async throws(ServerError) -> [RunReport]

    /// The newest report of each agent for `trigger` at `count` (what a deploy wait needs), reports of another
    /// epoch left out; a report without an epoch (from an agent on the original protocol) counts.
    func latestRuns(trigger: String, count: Int64, epoch: String) async throws(ServerError) -> [String: RunReport]

    /// The reports with these ids, by id; unknown ids are left out.
    func runs(ids: [String]) async throws(ServerError) -> [String: RunReport]

    /// Writes (inserts or replaces) agent records.
    func saveAgents(_ agents: [AgentRecord]) async throws(ServerError)

    /// Every stored agent.
    func loadAgents() async throws(ServerError) -> [AgentRecord]

    /// The rollout policy of `trigger`; nil when it has none (every agent is admitted at once).
    func policy(trigger: String) async throws(ServerError) -> RolloutPolicy?

    /// Every trigger's rollout policy, by trigger.
    func loadPolicies() async throws(ServerError) -> [String: RolloutPolicy]

    /// Sets `trigger`'s rollout policy, or removes it with nil. It applies from the next release on.
    func setPolicy(_ policy: RolloutPolicy?, trigger: String, now: Date) async throws(ServerError)

    /// Every trigger's newest rollout, as last saved.
    func loadRollouts() async throws(ServerError) -> [RolloutMachine]

    /// Saves `trigger`'s newest rollout, as `current` returns it when the write runs (writes are serialized, so the
    /// last to commit holds the newest state even when callers race); returns once durable.
    func saveRollout(of trigger: String, current: @escaping @Sendable () -> RolloutMachine?) async throws(ServerError)

    // MARK: Named tokens (docs/operations.md, "Securing a server"). The store keeps digests, never secrets.

    /// Stores a new token; 409 when a token of that name exists.
    func createToken(_ token: AccessToken) async throws(ServerError)

    /// The token whose secret's SHA-256 is `digest` (lower-case hex); nil when there is none.
    func token(digest: String) async throws(ServerError) -> AccessToken?

    /// Every token, by name.
    func tokens() async throws(ServerError) -> [AccessToken]

    /// Deletes the token `name` (its secret stops working at once); false when there is none.
    func revokeToken(name: String) async throws(ServerError) -> Bool

    /// Sets the `lastUsedAt` of the token `name`; nothing when there is none.
    func tokenUsed(name: String, at date: Date) async throws(ServerError)

    /// Closes the store at shutdown; later calls fail.
    func close() async throws
}

extension ServerStore {
    /// Increments `name` now, with a release from the API without params unless told otherwise.
    public func increment(_ name: String, release: NewRelease = NewRelease(source: .api)) async throws(ServerError)
        -> TriggerState
    {
        try await increment(name, release: release, now: Date(), afterCommit: nil)
    }

    /// Stores a report received now.
    public func insertRun(_ report: RunReport) async throws(ServerError) -> RunReport {
        try await insertRun(report, receivedAt: Date())
    }

    /// One report by id.
    public func run(id: String) async throws(ServerError) -> RunReport? {
        try await runs(ids: [id])[id]
    }
}
