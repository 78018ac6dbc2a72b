#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What identifies one run: which trigger and count, under which id, by which agent.
public struct RunContext: Sendable, Equatable {
    /// The trigger.
    public var trigger: String
    /// The count being deployed.
    public var count: Int
    /// The server's epoch (nil from an original server or for `run --once`).
    public var epoch: String?
    /// The run's id (a UUID string).
    public var runID: String
    /// The agent's name.
    public var agent: String
    /// The host name.
    public var host: String

    /// Makes a context.
    public init(trigger: String, count: Int, epoch: String?, runID: String, agent: String, host: String) {
        self.trigger = trigger
        self.count = count
        self.epoch = epoch
        self.runID = runID
        self.agent = agent
        self.host = host
    }
}

extension RunContext {
    /// A new random run id (a lowercase UUID).
    public static func newRunID() -> String { UUID().uuidString.lowercased() }
}
