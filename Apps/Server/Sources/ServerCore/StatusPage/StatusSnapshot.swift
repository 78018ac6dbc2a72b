import Foundation
import ProstagmaProtocol

/// Everything the status page at `GET /` shows, gathered at one moment; ``StatusPage/render(_:)`` turns it into HTML.
///
/// It holds the wire contract's own types (the store's triggers, the agent summaries of `GET /v1/agents`, the run
/// reports as stored), so the page shows exactly what the API returns, and the renderer stays a pure function that
/// tests call without a server. Texts are shown as given: the renderer escapes every one of them.
public struct StatusSnapshot: Sendable, Equatable {
    /// Every trigger, in the order to show.
    public var triggers: [TriggerState]
    /// Every agent, in the order to show.
    public var agents: [AgentSummary]
    /// Recent runs, newest first.
    public var runs: [RunReport]
    /// The database's epoch.
    public var serverEpoch: String
    /// When the snapshot was taken: the page's "now" for relative ages.
    public var generatedAt: Date
    /// Each trigger's newest releases, newest first, each with its outcome (as `GET .../releases` answers).
    public var history: [String: [Release]]
    /// The releases the shown runs ran, by trigger and count.
    public var runReleases: [String: [Int64: Release]]
    /// Each trigger's newest rollout (as `GET .../rollout` answers), for triggers that have one.
    public var rollouts: [String: Rollout]
    /// Addresses polling each trigger with the original protocol, which no rollout gates.
    public var ungated: [String: [OriginalPollers.Poller]]
    /// The CSRF token the page's forms carry (``StatusFormToken``); `nil` renders no buttons.
    public var formToken: String?

    /// Creates a snapshot.
    public init(
        triggers: [TriggerState], agents: [AgentSummary], runs: [RunReport], serverEpoch: String, generatedAt: Date,
        history: [String: [Release]] = [:], runReleases: [String: [Int64: Release]] = [:],
        rollouts: [String: Rollout] = [:], ungated: [String: [OriginalPollers.Poller]] = [:], formToken: String? = nil
    ) {
        self.triggers = triggers
        self.agents = agents
        self.runs = runs
        self.serverEpoch = serverEpoch
        self.generatedAt = generatedAt
        self.history = history
        self.runReleases = runReleases
        self.rollouts = rollouts
        self.ungated = ungated
        self.formToken = formToken
    }

    /// The release `run` ran, when known.
    public func release(of run: RunReport) -> Release? {
        runReleases[run.trigger]?[run.count]
    }
}
