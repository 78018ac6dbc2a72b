/// The answer of `POST /v1/triggers/{name}?wait=` (openapi.yaml's `DeployOutcome`): the new count, the runs reported
/// for it, and the agents that have not reported yet.
///
/// HTTP 200 means every run succeeded, 409 that one did not, 504 that the wait ran out (`pending` says who).
public struct DeployOutcome: Codable, Sendable, Equatable {
    /// The trigger.
    public var trigger: String
    /// The count the deploy is for.
    public var count: Int64
    /// The server database's epoch.
    public var epoch: String
    /// The newest run of each awaited agent that reported.
    public var runs: [RunReport]
    /// The awaited agents that have not reported a run for the count.
    public var pending: [String]

    /// Makes an outcome.
    public init(trigger: String, count: Int64, epoch: String, runs: [RunReport], pending: [String]) {
        self.trigger = trigger
        self.count = count
        self.epoch = epoch
        self.runs = runs
        self.pending = pending
    }
}
