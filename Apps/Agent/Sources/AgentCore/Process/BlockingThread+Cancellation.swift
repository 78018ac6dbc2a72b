import Synchronization

extension BlockingThread {
    /// Tells blocking work that the task waiting for it was cancelled; the work polls it between steps.
    final class Cancellation: Sendable {
        private let flag = Atomic<Bool>(false)

        /// Whether the waiting task was cancelled: the work should stop at its next check.
        var isCancelled: Bool { flag.load(ordering: .relaxed) }

        fileprivate func cancel() { flag.store(true, ordering: .relaxed) }
    }

    /// Runs `body` on a thread of its own and waits for it without holding a cooperative thread.
    ///
    /// Cancelling the calling task sets `isCancelled` for `body` to poll; the call still returns only once
    /// `body` has, so nothing the work does outlives it. Work that fails after a cancellation throws
    /// `CancellationError`; work that finished anyway (it was past its last check) returns its result.
    static func run<T: Sendable>(_ body: @escaping @Sendable (Cancellation) throws -> T) async throws -> T {
        let cancellation = Cancellation()
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, any Error>, Never>) in
                start { continuation.resume(returning: Result { try body(cancellation) }) }
            }
        } onCancel: {
            cancellation.cancel()
        }
        if case .failure = result, cancellation.isCancelled { throw CancellationError() }
        return try result.get()
    }
}
