import ServiceLifecycle

/// Runs a non-process step (download, unzip) against its timeout and the shutdown grace period, which starts
/// when the graceful shutdown of the service running the step begins.
///
/// When time runs out, the work is cancelled and awaited: the step ends only once the work has stopped, so
/// nothing it does (writing into `dest`) goes on after the step is reported. Work that was past its last
/// cancellation check and finished anyway is reported as finished, since its result is in place.
enum StepRace {
    enum Outcome<T: Sendable>: Sendable {
        case finished(T)
        case failed(String)
        case timedOut
        case cancelled
    }

    static func run<T: Sendable>(
        timeout: Duration?, grace: Duration,
        _ work: @escaping @Sendable () async throws -> T
    ) async -> Outcome<T> {
        await withTaskGroup(of: Outcome<T>?.self) { group in
            group.addTask {
                do { return .finished(try await work()) } catch { return .failed("\(error)") }
            }
            if let timeout {
                group.addTask {
                    do { try await Task.sleep(for: timeout) } catch { return nil }
                    return .timedOut
                }
            }
            group.addTask {
                // Outside a graceful-shutdown context this waits until the race is over and cancels it.
                do {
                    try await gracefulShutdown()
                    try await Task.sleep(for: grace)
                } catch {
                    return nil
                }
                return .cancelled
            }
            var stopped: Outcome<T>?
            while let next = await group.next() {
                guard let outcome = next else { continue }
                switch outcome {
                case .finished:
                    group.cancelAll()
                    return outcome
                case .failed:
                    group.cancelAll()
                    return stopped ?? outcome
                case .timedOut, .cancelled:
                    // Keep waiting for the work, which the cancellation tells to stop and undo itself.
                    if stopped == nil {
                        stopped = outcome
                        group.cancelAll()
                    }
                }
            }
            return stopped ?? .cancelled
        }
    }
}
