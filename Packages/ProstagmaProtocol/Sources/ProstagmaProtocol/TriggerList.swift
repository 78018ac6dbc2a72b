/// The answer of `GET /v1/triggers`: every trigger the server knows, and its epoch.
public struct TriggerList: Codable, Sendable, Equatable {
    /// Every trigger, each with the epoch.
    public var triggers: [TriggerState]
    /// The server database's epoch.
    public var epoch: String

    /// Makes a list.
    public init(triggers: [TriggerState], epoch: String) {
        self.triggers = triggers
        self.epoch = epoch
    }
}
