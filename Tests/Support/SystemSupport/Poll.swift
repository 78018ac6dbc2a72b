import Foundation

/// Waiting for a condition with a deadline: the only way the scenarios wait (never a bare sleep as a check).
public enum Poll {
    /// Evaluates `condition` every `interval` until it returns a value or `timeout` passes; then throws an error
    /// that says what was awaited (`what`) and, if given, the latest state (`state`).
    @discardableResult
    public static func until<T: Sendable>(
        _ what: String, timeout: Duration, interval: Duration = .milliseconds(100),
        state: (@Sendable () async -> String)? = nil,
        _ condition: @Sendable () async throws -> T?
    ) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        var lastError: (any Error)?
        while true {
            do {
                if let value = try await condition() { return value }
            } catch {
                lastError = error
            }
            if ContinuousClock.now >= deadline { break }
            try await Task.sleep(for: interval)
        }
        var message = "timed out after \(timeout) waiting for \(what)"
        if let lastError { message += "; last error: \(lastError)" }
        if let state { message += "; state: \(await state())" }
        throw SystemTestError(message)
    }

    /// Waits until `condition` is true (see `until`).
    public static func check(
        _ what: String, timeout: Duration, interval: Duration = .milliseconds(100),
        state: (@Sendable () async -> String)? = nil,
        _ condition: @Sendable () async throws -> Bool
    ) async throws {
        try await until(what, timeout: timeout, interval: interval, state: state) {
            try await condition() ? true : nil
        }
    }

    /// Watches for `duration` that `condition` stays true; throws at the first moment it is false. Used to
    /// check that something does NOT happen (no spurious run) over an observation window.
    public static func holds(
        _ what: String, for duration: Duration, interval: Duration = .milliseconds(200),
        _ condition: @Sendable () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + duration
        while ContinuousClock.now < deadline {
            guard try await condition() else {
                throw SystemTestError("\(what) stopped holding before \(duration) had passed")
            }
            try await Task.sleep(for: interval)
        }
        guard try await condition() else { throw SystemTestError("\(what) did not hold at the end of \(duration)") }
    }
}
