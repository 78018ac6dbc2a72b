import Foundation

/// Runs blocking work (waiting for a child process, reading its pipe, polling a port) on its own thread,
/// so it never occupies one of the few cooperative threads the server under test needs to answer.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.start()
    }
}
