#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What the agent remembers about one trigger between restarts: the server's epoch and the last count it
/// handled (ran to completion, successfully or not) or adopted.
public struct HandledState: Sendable, Equatable, Codable {
    /// The trigger's name.
    public var trigger: String
    /// The server database's epoch when the count was seen; nil against the original server (no epochs).
    public var epoch: String?
    /// The last count handled or adopted.
    public var count: Int
    /// The release of the run in progress, written before the run starts and dropped once it has finished, so a
    /// run killed with the agent runs again with the same params even when the server, once back, does not send
    /// them. Absent from state files written before releases, which load as they are.
    public var running: Release?

    /// Makes a state.
    public init(trigger: String, epoch: String?, count: Int, running: Release? = nil) {
        self.trigger = trigger
        self.epoch = epoch
        self.count = count
        self.running = running
    }
}

/// What the server says about a trigger right now.
public struct Observation: Sendable, Equatable {
    /// The trigger's count.
    public var count: Int
    /// The server's epoch; nil from a server that only speaks the original protocol.
    public var epoch: String?

    /// Makes an observation.
    public init(count: Int, epoch: String?) {
        self.count = count
        self.epoch = epoch
    }
}
