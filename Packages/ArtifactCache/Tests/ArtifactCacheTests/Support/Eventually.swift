/// A condition a test waits for did not hold before its deadline.
struct DeadlineExceeded: Error, CustomStringConvertible {
    let what: String
    let timeout: Duration
    var description: String { "waited \(timeout) for \(what)" }
}

/// Waits until `condition` holds, checking every `interval`; throws ``DeadlineExceeded`` after `timeout`.
///
/// For waiting on state another task changes (a fetch started, a counter reached); never a fixed sleep. The
/// default is generous: the crash tests block a cooperative thread on their child process for seconds at a time,
/// and on two busy cores that once held up a fetch for over 20 s.
func eventually(
    _ what: String, timeout: Duration = .seconds(90), interval: Duration = .milliseconds(2),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return }
        guard ContinuousClock.now < deadline else { throw DeadlineExceeded(what: what, timeout: timeout) }
        try await Task.sleep(for: interval)
    }
}
