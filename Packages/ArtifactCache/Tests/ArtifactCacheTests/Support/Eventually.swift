/// A condition a test waits for did not hold before its deadline.
struct DeadlineExceeded: Error, CustomStringConvertible {
    let what: String
    let timeout: Duration
    var description: String { "waited \(timeout) for \(what)" }
}

/// Waits until `condition` holds, checking every `interval`; throws ``DeadlineExceeded`` after `timeout`.
///
/// For waiting on state another task changes (a long poll registered, a counter reached); never a fixed sleep.
func eventually(
    _ what: String, timeout: Duration = .seconds(20), interval: Duration = .milliseconds(2),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return }
        guard ContinuousClock.now < deadline else { throw DeadlineExceeded(what: what, timeout: timeout) }
        try await Task.sleep(for: interval)
    }
}
