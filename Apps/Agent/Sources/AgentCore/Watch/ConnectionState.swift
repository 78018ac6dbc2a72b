/// Whether the server is reachable, tracked so the agent logs one line per change, not one per attempt.
public struct ConnectionState: Sendable, Equatable {
    /// The states the connection can be in.
    public enum Phase: Sendable, Equatable {
        /// No request has finished yet.
        case starting
        /// The last request succeeded.
        case connected
        /// The last request failed with `reason`.
        case failing(reason: String)
    }

    /// The current phase.
    public private(set) var phase: Phase = .starting

    /// A tracker in the starting phase.
    public init() {}

    /// Records a success; returns the line to log when this is a change (first contact or recovery).
    public mutating func succeeded(server: String) -> String? {
        defer { phase = .connected }
        switch phase {
        case .connected: return nil
        case .starting: return "connected to \(server)"
        case .failing: return "server \(server) reachable again"
        }
    }

    /// Records a failure; returns the line to log when this is a change (first failure, or a different
    /// reason).
    public mutating func failed(server: String, reason: String, retryIn: Duration) -> String? {
        if case .failing(let old) = phase, old == reason { return nil }
        phase = .failing(reason: reason)
        return
            "server \(server) unreachable: \(reason); retrying with back-off (next in \(DurationParser.format(retryIn)))"
    }
}
