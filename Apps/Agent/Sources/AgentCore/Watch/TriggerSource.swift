/// Which protocol the server answered with.
public enum ServerProtocol: Sendable, Equatable {
    /// The v1 API: long polls, epochs, run reports.
    case v1
    /// Only the original API (`GET /trigger` with a JSON body): polled every poll interval, no epoch.
    case original
}

/// One answer from the server about a trigger.
public struct PollResult: Sendable, Equatable {
    /// The trigger's state.
    public var observation: Observation
    /// The protocol the answer came through.
    public var serverProtocol: ServerProtocol
    /// The release the count made, when the server sent one (a v1 server with releases); nil from older servers
    /// and the original protocol.
    public var release: Release?
    /// Why the answer's release could not be read (the state itself could), e.g. a field this agent does not know
    /// from a newer server: the count's run then fails with this, and says so, instead of every poll failing.
    public var releaseProblem: String?

    /// Makes a poll result.
    public init(
        observation: Observation, serverProtocol: ServerProtocol, release: Release? = nil,
        releaseProblem: String? = nil
    ) {
        self.observation = observation
        self.serverProtocol = serverProtocol
        self.release = release
        self.releaseProblem = releaseProblem
    }
}

/// Where trigger states come from (the server, or a stand-in in tests).
public protocol TriggerSource: Sendable {
    /// The trigger's state: at once when it differs from `known` (or `known` is nil), otherwise when it
    /// changes or the long poll's wait ends. Against an original server, answers at once.
    func poll(trigger: String, known: Observation?) async throws -> PollResult
}

/// Where finished runs are reported (the server's `POST /v1/runs`).
public protocol RunReporting: Sendable {
    /// Sends `report`; errors are logged by the caller, never fatal.
    func report(_ report: RunReport) async throws
}
