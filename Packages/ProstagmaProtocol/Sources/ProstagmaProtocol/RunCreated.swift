/// The answer of `POST /v1/runs` (201): the id the report is stored under.
public struct RunCreated: Codable, Sendable, Equatable {
    /// The run's id (the agent's, or one the server made).
    public var id: String

    /// Makes an answer.
    public init(id: String) { self.id = id }
}
