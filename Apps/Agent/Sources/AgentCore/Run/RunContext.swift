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
    /// The params of the release being deployed (empty from a server without releases): steps see them as
    /// `PROSTAGMA_PARAM_<NAME>`, and `${params.NAME}` in step fields is filled in from them.
    public var params: [String: String]
    /// Why the release of this count could not be read (``PollResult/releaseProblem``): the run then fails before
    /// its first step, saying so, since its params are unknown.
    public var releaseProblem: String?

    /// Makes a context.
    public init(
        trigger: String, count: Int, epoch: String?, runID: String, agent: String, host: String,
        params: [String: String] = [:], releaseProblem: String? = nil
    ) {
        self.releaseProblem = releaseProblem
        self.trigger = trigger
        self.count = count
        self.epoch = epoch
        self.runID = runID
        self.agent = agent
        self.host = host
        self.params = params
    }

    /// The release being deployed, as messages name it: "release 7 of `web`".
    public var releaseName: String { "release \(count) of `\(trigger)`" }
}

extension RunContext {
    /// A new random run id (a lowercase UUID).
    public static func newRunID() -> String { UUID().uuidString.lowercased() }
}
