/// How a child process ended.
public struct ProcessResult: Sendable, Equatable {
    /// The exit status when the process exited normally.
    public var exitCode: Int32?
    /// The signal that ended the process, when one did.
    public var signal: Int32?
    /// The process group was killed because the step's timeout passed.
    public var timedOut: Bool
    /// The process group was killed because the agent shut down and the grace period passed.
    public var cancelled: Bool

    /// Makes a result.
    public init(exitCode: Int32?, signal: Int32?, timedOut: Bool = false, cancelled: Bool = false) {
        self.exitCode = exitCode
        self.signal = signal
        self.timedOut = timedOut
        self.cancelled = cancelled
    }

    /// True when the process exited with status 0 and was neither timed out nor cancelled.
    public var succeeded: Bool { exitCode == 0 && !timedOut && !cancelled }

    /// A few words for logs and run reports: `exit status 3`, `killed by signal 9`.
    public var summary: String {
        if let exitCode { return "exit status \(exitCode)" }
        if let signal { return "killed by signal \(signal)" }
        return "ended"
    }
}
