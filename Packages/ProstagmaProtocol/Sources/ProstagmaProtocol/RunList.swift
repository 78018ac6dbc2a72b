/// The answer of `GET /v1/runs`: reports, newest first.
public struct RunList: Codable, Sendable, Equatable {
    /// The reports, newest first.
    public var runs: [RunReport]

    /// Makes a list.
    public init(runs: [RunReport]) { self.runs = runs }
}
