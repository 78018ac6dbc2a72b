/// Every error the agent reports: what went wrong and where (file, line, column, URL, step).
///
/// Script and configuration errors read `FILE:LINE:COL: message` so editors and terminals can jump to
/// the spot; runtime errors name the step, URL or path involved.
public struct AgentError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The category of an error, for callers that react differently (exit codes, retries).
    public enum Kind: Sendable, Equatable {
        /// A build script or configuration file is invalid.
        case invalidScript
        /// The agent's configuration (flags, environment, config file) is incomplete or contradictory.
        case configuration
        /// The server could not be reached or answered with an unexpected status.
        case server
        /// A step failed at run time (process, download, unzip).
        case step
        /// A local file operation failed (state files, downloads' destinations).
        case io
    }

    /// The category of the error.
    public let kind: Kind
    /// The full message, including the location when there is one.
    public let message: String
    /// The HTTP status the server answered with, for `.server` errors that got an answer.
    public var httpStatus: Int?

    /// Makes an error of `kind` with `message`.
    public init(_ kind: Kind, _ message: String, httpStatus: Int? = nil) {
        self.kind = kind
        self.message = message
        self.httpStatus = httpStatus
    }

    /// True when the server understood the request and refused it (4xx other than 408 and 429): sending
    /// the same request again cannot succeed.
    public var isRefusedByServer: Bool {
        guard kind == .server, let status = httpStatus else { return false }
        return (400..<500).contains(status) && status != 408 && status != 429
    }

    /// The message, as printed on the terminal.
    public var description: String { message }

    static func script(file: String, line: Int, column: Int, _ message: String) -> AgentError {
        AgentError(.invalidScript, "\(file):\(line):\(column): \(message)")
    }

    static func configuration(_ message: String) -> AgentError { AgentError(.configuration, message) }
    static func server(_ message: String) -> AgentError { AgentError(.server, message) }
    static func step(_ message: String) -> AgentError { AgentError(.step, message) }
    static func io(_ message: String) -> AgentError { AgentError(.io, message) }
}
