import Foundation
import ProstagmaProtocol

/// Where the server keeps its state: trigger counts, run reports and agents, under one epoch.
///
/// Every read and write is `async`: an implementation does its I/O off the cooperative pool (GRDB's own queues
/// for ``SQLiteStore``; a PostgreSQL connection's event loop for a networked store), so a request handler never
/// blocks a thread of the pool on the database. Errors are ``ServerError``s that say what could not be done: a
/// failed write is `unavailable` (503), and the caller may retry.
public protocol ServerStore: Sendable {
    /// The random id made when the store was created; agents compare it to notice lost data.
    var epoch: String { get }

    /// Every trigger's committed state, by name.
    func loadTriggers() async throws(ServerError) -> [TriggerState]

    /// Increments `name` and returns its new state once the increment is durable. `afterCommit` runs in commit
    /// order before the caller resumes (the hub publishes from it, so long polls never see counts out of order).
    func increment(_ name: String, now: Date, afterCommit: (@Sendable (TriggerState) -> Void)?)
        async throws(ServerError) -> TriggerState

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

    /// Closes the store at shutdown; later calls fail.
    func close() async throws
}

extension ServerStore {
    /// Increments `name` now.
    public func increment(_ name: String) async throws(ServerError) -> TriggerState {
        try await increment(name, now: Date(), afterCommit: nil)
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
