#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One agent the server knows of (openapi.yaml's `Agent`), as `GET /v1/agents` and the status page show it.
public struct AgentSummary: Codable, Sendable, Equatable {
    /// The agent's name.
    public var name: String
    /// Its host name, if it said.
    public var host: String?
    /// The triggers it watches.
    public var triggers: [String]
    /// Live or stale.
    public var state: AgentLiveness
    /// When the server last heard from it.
    public var lastSeen: Date
    /// Its fallback poll interval, which its liveness is judged by.
    public var pollIntervalSeconds: Double
    /// Its newest reported run, if any.
    public var lastRun: RunReport?

    /// Makes a summary.
    public init(
        name: String, host: String?, triggers: [String], state: AgentLiveness, lastSeen: Date,
        pollIntervalSeconds: Double, lastRun: RunReport?
    ) {
        self.name = name
        self.host = host
        self.triggers = triggers
        self.state = state
        self.lastSeen = lastSeen
        self.pollIntervalSeconds = pollIntervalSeconds
        self.lastRun = lastRun
    }

    enum CodingKeys: String, CodingKey {
        case name, host, triggers, state
        case lastSeen = "last_seen"
        case pollIntervalSeconds = "poll_interval_seconds"
        case lastRun = "last_run"
    }

    /// Decodes a summary; `host` and `last_run` may be absent or null.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        host = try c.decodeIfPresent(String.self, forKey: .host)
        triggers = try c.decode([String].self, forKey: .triggers)
        state = try c.decode(AgentLiveness.self, forKey: .state)
        lastSeen = try c.decodeTimestamp(forKey: .lastSeen)
        pollIntervalSeconds = try c.decode(Double.self, forKey: .pollIntervalSeconds)
        lastRun = try c.decodeIfPresent(RunReport.self, forKey: .lastRun)
    }

    /// Encodes every field, absent ones as `null`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(host, forKey: .host)
        try c.encode(triggers, forKey: .triggers)
        try c.encode(state, forKey: .state)
        try c.encode(Timestamp.format(lastSeen), forKey: .lastSeen)
        try c.encode(pollIntervalSeconds, forKey: .pollIntervalSeconds)
        try c.encode(lastRun, forKey: .lastRun)
    }
}
