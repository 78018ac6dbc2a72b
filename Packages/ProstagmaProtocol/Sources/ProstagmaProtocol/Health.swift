/// The answer of `GET /healthz`.
public struct Health: Codable, Sendable, Equatable {
    /// Always `ok` when the server answers.
    public var status: String
    /// The server database's epoch.
    public var epoch: String

    /// Makes an answer.
    public init(status: String = "ok", epoch: String) {
        self.status = status
        self.epoch = epoch
    }
}
