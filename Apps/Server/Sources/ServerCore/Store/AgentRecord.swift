import Foundation

/// What the server knows of one agent, from its long polls and run reports.
public struct AgentRecord: Sendable, Equatable {
    /// The agent's name (`X-Prostagma-Agent`).
    public var name: String
    /// Its host name (`X-Prostagma-Host`).
    public var host: String?
    /// Triggers it watches (every trigger it polled or reported on).
    public var triggers: [String]
    /// When it was last seen.
    public var lastSeen: Date
    /// Its fallback poll interval (`X-Prostagma-Poll-Interval`), used for liveness.
    public var pollIntervalSeconds: Double
    /// Id of its newest reported run.
    public var lastRunID: String?

    /// Creates a record.
    public init(
        name: String, host: String?, triggers: [String], lastSeen: Date, pollIntervalSeconds: Double,
        lastRunID: String? = nil
    ) {
        self.name = name
        self.host = host
        self.triggers = triggers
        self.lastSeen = lastSeen
        self.pollIntervalSeconds = pollIntervalSeconds
        self.lastRunID = lastRunID
    }
}
