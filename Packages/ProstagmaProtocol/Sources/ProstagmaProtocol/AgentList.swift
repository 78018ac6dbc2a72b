/// The answer of `GET /v1/agents`.
public struct AgentList: Codable, Sendable, Equatable {
    /// Every agent the server has seen.
    public var agents: [AgentSummary]

    /// Makes a list.
    public init(agents: [AgentSummary]) { self.agents = agents }
}
