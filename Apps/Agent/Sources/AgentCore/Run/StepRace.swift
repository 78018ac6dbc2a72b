/// Runs a non-process step (download, unzip) against its timeout and the shutdown grace period.
enum StepRace {
    enum Outcome<T: Sendable>: Sendable {
        case finished(T)
        case failed(String)
        case timedOut
        case cancelled
    }

    static func run<T: Sendable>(
        timeout: Duration?, shutdown: StopSignal, grace: Duration,
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
                await shutdown.wait()
                if Task.isCancelled { return nil }
                do { try await Task.sleep(for: grace) } catch { return nil }
                return .cancelled
            }
            while let next = await group.next() {
                if let outcome = next {
                    group.cancelAll()
                    return outcome
                }
            }
            return .cancelled
        }
    }
}
