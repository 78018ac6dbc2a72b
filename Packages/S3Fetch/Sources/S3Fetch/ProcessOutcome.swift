/// How a CLI run ended: exit status or signal, whether the fetcher killed it, and its standard error.
struct ProcessOutcome: Sendable, Hashable {
    /// The exit code, when the process exited normally.
    var exitCode: Int32?
    /// The signal that ended it, when one did.
    var signal: Int32?
    /// The deadline passed and the fetcher killed the process group.
    var timedOut: Bool = false
    /// The consumer went away (cancelled or dropped the iterator) and the process group was killed.
    var cancelled: Bool = false
    /// The end of standard error (at most the fetcher's limit), as text.
    var standardError: String = ""
    /// The CLI could not be started at all; this is the error to report.
    var launchError: S3FetchError?

    var succeeded: Bool { exitCode == 0 && !timedOut && !cancelled && launchError == nil }
}
