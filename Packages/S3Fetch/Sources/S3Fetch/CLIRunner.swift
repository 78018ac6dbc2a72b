import Subprocess
import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// One run of the aws CLI through swift-subprocess: an argument vector (never a shell), exactly the given
/// environment, standard input from /dev/null, only descriptors 0, 1 and 2 inherited, and its own process
/// group so that a timeout or a cancelled caller kills the CLI and everything it started.
struct CLIRunner: Sendable {
    var executable: String
    var arguments: [String]
    var environment: [String: String]
    var timeout: Duration
    var chunkSize: Int
    var standardErrorLimit: Int
    /// The URL the run is for, named in launch errors.
    var url: String

    /// What a task of a run's group reports.
    private enum Part: Sendable {
        case outputDone
        case standardError(BoundedTail)
        case deadlinePassed
        case deadlineNotReached
    }

    /// Runs the CLI to its end. Standard output goes to `deliver` in chunks of at most `chunkSize` bytes;
    /// `deliver` returns false when nobody wants more, and the group is then killed. `onTimeout` is called
    /// when the deadline passes, before the kill, so a `deliver` that is waiting can give up.
    func run(
        deliver: @escaping @Sendable ([UInt8]) async -> Bool, onTimeout: @escaping @Sendable () -> Void
    ) async -> ProcessOutcome {
        var attempts = 0
        while true {
            do {
                return try await runOnce(deliver: deliver, onTimeout: onTimeout)
            } catch let error as SubprocessError {
                let code = error.underlyingError?.rawValue
                // ETXTBSY: a freshly written executable is still open for writing in a process another thread
                // is forking right now; that descriptor goes away at its exec, so a short retry succeeds.
                if error.code == .spawnFailed, code == ETXTBSY, attempts < 50, !Task.isCancelled {
                    attempts += 1
                    try? await Task.sleep(for: .milliseconds(10))
                    continue
                }
                let notFound = error.code == .executableNotFound || code == ENOENT || code == EACCES
                let reason = error.underlyingError.map { "\($0)" } ?? "\(error)"
                return ProcessOutcome(
                    launchError: S3FetchError(
                        notFound ? .cliNotFound : .failed, url: url, message: "cannot run \(executable): \(reason)"))
            } catch {
                return ProcessOutcome(
                    launchError: S3FetchError(.failed, url: url, message: "cannot run \(executable): \(error)"))
            }
        }
    }

    private func runOnce(
        deliver: @escaping @Sendable ([UInt8]) async -> Bool, onTimeout: @escaping @Sendable () -> Void
    ) async throws -> ProcessOutcome {
        var options = PlatformOptions()
        // pgid = the CLI's pid: signalling the group then never reaches this process.
        options.processGroupID = 0
        // Used when the task is cancelled before the body below has taken over the kill.
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: .seconds(1))]
        let deadline = ContinuousClock.now + timeout
        let chunkSize = max(self.chunkSize, 1)
        let limit = standardErrorLimit
        var variables: [Environment.Key: String] = [:]
        for (name, value) in environment { variables[Environment.Key(stringLiteral: name)] = value }

        let result = try await Subprocess.run(
            .path(FilePath(executable)), arguments: Arguments(arguments), environment: .custom(variables),
            workingDirectory: nil, platformOptions: options, input: .none, output: .sequence, error: .sequence
        ) { execution -> (BoundedTail, Bool) in
            let standardOutput = execution.standardOutput
            let standardError = execution.standardError
            let (tail, timedOut) = await withTaskGroup(of: Part.self) { group in
                group.addTask {
                    var wanted = true
                    do {
                        for try await buffer in standardOutput {
                            // After a kill, keep reading to the end so that the pipe never blocks a dying CLI.
                            guard wanted else { continue }
                            let bytes = buffer.withUnsafeBytes { Array($0) }
                            var start = 0
                            while wanted && start < bytes.count {
                                let end = min(start + chunkSize, bytes.count)
                                wanted = await deliver(
                                    start == 0 && end == bytes.count ? bytes : Array(bytes[start..<end]))
                                start = end
                            }
                            if !wanted { try? execution.send(signal: .kill, toProcessGroup: true) }
                        }
                    } catch {
                        // A failed read ends the output; the exit status says whether the object was whole.
                    }
                    return .outputDone
                }
                group.addTask {
                    // A separate tail, not `.string(limit:)`: that one throws past its limit and loses the status.
                    var tail = BoundedTail(limit: limit)
                    do {
                        for try await buffer in standardError { buffer.withUnsafeBytes { tail.append($0) } }
                    } catch {
                        // Keep what arrived; the exit status still decides.
                    }
                    return .standardError(tail)
                }
                group.addTask {
                    do {
                        try await Task.sleep(until: deadline, clock: .continuous)
                    } catch {
                        return .deadlineNotReached
                    }
                    onTimeout()
                    try? execution.send(signal: .kill, toProcessGroup: true)
                    // The pipes close as soon as the group is gone; only a process that left the group could hold
                    // them open, so stop reading after a grace period (cut short when the readers end first).
                    try? await Task.sleep(for: .seconds(2))
                    return .deadlinePassed
                }
                var tail = BoundedTail(limit: limit)
                var timedOut = false
                var readers = 2
                while let part = await group.next() {
                    switch part {
                    case .outputDone: readers -= 1
                    case .standardError(let collected):
                        tail = collected
                        readers -= 1
                    case .deadlinePassed:
                        timedOut = true
                        group.cancelAll()
                    case .deadlineNotReached: break
                    }
                    if readers == 0 { group.cancelAll() }
                }
                return (tail, timedOut)
            }
            if Task.isCancelled {
                // The caller went away: the readers ended early; kill the group rather than wait for the CLI.
                // The leader is not reaped before this body returns, so its pid is still ours to signal.
                try? execution.send(signal: .kill, toProcessGroup: true)
            }
            return (tail, timedOut)
        }

        let (tail, timedOut) = result.closureResult
        var outcome = ProcessOutcome(timedOut: timedOut, cancelled: Task.isCancelled, standardError: tail.text)
        switch result.terminationStatus {
        case .exited(let code): outcome.exitCode = code
        case .signaled(let signal): outcome.signal = signal
        }
        return outcome
    }
}
