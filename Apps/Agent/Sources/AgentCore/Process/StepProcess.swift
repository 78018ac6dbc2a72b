import ServiceLifecycle
import Subprocess
import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs a child process the way a `shell` step runs: through swift-subprocess, in a process group of its own,
/// stdin from /dev/null, exactly the given environment, only descriptors 0, 1 and 2 inherited, stdout and
/// stderr merged (like `2>&1`, so their order is kept) and streamed line by line.
///
/// Subprocess spawns, streams and reaps; `StepTermination` decides when the group gets SIGTERM and SIGKILL,
/// since Subprocess's own teardown stops as soon as the direct child exits and would let a grandchild that
/// ignores SIGTERM live on. Whatever way the process ends, its whole group is killed before it is reaped.
public struct StepProcess: Sendable {
    /// The program (absolute path, or a name looked up in `PATH`).
    public var executable: String
    /// The arguments after the program name.
    public var arguments: [String]
    /// The complete environment of the child.
    public var environment: [String: String]
    /// Longest line delivered at once; longer lines arrive in pieces.
    public var maxLineBytes = 16 * 1024
    /// How long after SIGTERM the group gets before SIGKILL.
    public var killDelay: Duration = StepTermination.defaultKillDelay
    /// Called with the child's pid (also its process group id) once it is started.
    public var onSpawn: (@Sendable (Int32) -> Void)?

    /// Describes a child process.
    public init(executable: String, arguments: [String], environment: [String: String]) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
    }

    /// Runs the process to its end; by then no process of its group is left.
    ///
    /// Run inside a `ServiceGroup`'s service (or `testGracefulShutdown`), the graceful shutdown of that
    /// service gives the process `grace` to finish; then its group is terminated and the result says
    /// `cancelled`. Outside one, only `timeout` and the task's cancellation stop it.
    ///
    /// - Parameters:
    ///   - timeout: when set, the group is terminated after this long and the result says `timedOut`.
    ///   - grace: how long the process may go on once graceful shutdown begins.
    ///   - onLine: called for each output line (without its newline), in order.
    /// - Throws: `AgentError.step` when the process cannot be started.
    public func run(
        timeout: Duration? = nil,
        grace: Duration = .seconds(10),
        onLine: @escaping @Sendable (String) -> Void
    ) async throws -> ProcessResult {
        var options = PlatformOptions()
        // pgid = the child's pid: signalling the group then never reaches the agent.
        options.processGroupID = 0
        // Only used when the calling task is cancelled before the body below has swept the group.
        options.teardownSequence = [.send(signal: .kill, toProcessGroup: true, allowedDurationToNextStep: .seconds(1))]
        var variables: [Environment.Key: String] = [:]
        for (name, value) in environment { variables[Environment.Key(stringLiteral: name)] = value }
        let program: Executable = executable.contains("/") ? .path(FilePath(executable)) : .name(executable)
        let machine = StepTermination(timeout: timeout, grace: grace, killDelay: killDelay)
        let maxLineBytes = self.maxLineBytes
        let onSpawn = self.onSpawn

        let result: ExecutionResult<StepTermination.Stop?, SequenceOutput, CombinedErrorOutput>
        do {
            result = try await Subprocess.run(
                program, arguments: Arguments(arguments), environment: .custom(variables), workingDirectory: nil,
                platformOptions: options, input: .none, output: .sequence, error: .combinedWithOutput
            ) { execution in
                onSpawn?(execution.processIdentifier.value)
                return await Self.supervise(execution, machine: machine, maxLineBytes: maxLineBytes, onLine: onLine)
            }
        } catch let error as SubprocessError {
            let reason = error.underlyingError.map { "\($0)" } ?? "\(error)"
            throw AgentError.step("cannot start \(executable): \(reason)")
        }
        let stop = result.closureResult
        switch result.terminationStatus {
        case .exited(let code):
            return ProcessResult(
                exitCode: code, signal: nil, timedOut: stop == .timedOut, cancelled: stop == .cancelled)
        case .signaled(let signal):
            return ProcessResult(
                exitCode: nil, signal: signal, timedOut: stop == .timedOut, cancelled: stop == .cancelled)
        }
    }

    /// Streams the output and carries out `machine`'s actions until the leader has exited. Returns why the
    /// process was stopped, or nil when it ended by itself.
    private static func supervise(
        _ execution: Execution<NoInput, SequenceOutput, CombinedErrorOutput>, machine: StepTermination,
        maxLineBytes: Int, onLine: @escaping @Sendable (String) -> Void
    ) async -> StepTermination.Stop? {
        let (events, sink) = AsyncStream.makeStream(of: StepTermination.Event.self)
        // The handler runs at once when the shutdown began before the step; the event then waits in the stream
        // until the machine has handled `started`.
        return await withGracefulShutdownHandler {
            await drive(
                execution, machine: machine, events: events, sink: sink, maxLineBytes: maxLineBytes, onLine: onLine)
        } onGracefulShutdown: {
            sink.yield(.shutdownRequested)
        }
    }

    private static func drive(
        _ execution: Execution<NoInput, SequenceOutput, CombinedErrorOutput>, machine: StepTermination,
        events: AsyncStream<StepTermination.Event>, sink: AsyncStream<StepTermination.Event>.Continuation,
        maxLineBytes: Int, onLine: @escaping @Sendable (String) -> Void
    ) async -> StepTermination.Stop? {
        var machine = machine
        let pid = execution.processIdentifier.value
        let output = execution.standardOutput
        return await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var splitter = LineSplitter(maxLineBytes: maxLineBytes)
                do {
                    for try await buffer in output { buffer.withUnsafeBytes { splitter.append($0, emit: onLine) } }
                } catch {
                    // A failed read ends the output; the exit status still tells how the step went.
                }
                splitter.finish(emit: onLine)
                // The output ends when the leader exits (Subprocess then stops reading, even when a background
                // job still holds the pipe) or when every writer closed it, the leader perhaps still running.
                await waitForExit(of: pid)
                sink.yield(.leaderExited)
            }
            var stop: StepTermination.Stop?
            var pending = machine.handle(.started)
            var iterator = events.makeAsyncIterator()
            while true {
                for action in pending {
                    switch action {
                    case .startTimer(let timer, let delay):
                        group.addTask {
                            do { try await Task.sleep(for: delay) } catch { return }
                            switch timer {
                            case .timeout: sink.yield(.timeoutElapsed)
                            case .grace: sink.yield(.graceElapsed)
                            case .killDelay: sink.yield(.killDelayElapsed)
                            }
                        }
                    case .signalGroup(let terminate):
                        // Safe: the group is the child's own (processGroupID = 0), and the leader is not reaped
                        // before this body returns, so its pgid cannot belong to anyone else yet.
                        try? execution.send(signal: terminate ? .terminate : .kill, toProcessGroup: true)
                    case .finish(let reason):
                        stop = reason
                    }
                }
                if machine.isFinished { break }
                guard let event = await iterator.next() else {
                    // The calling task was cancelled: nobody waits for the step any more.
                    pending = machine.handle(.taskCancelled)
                    if pending.contains(.killGroup) {
                        try? execution.send(signal: .kill, toProcessGroup: true)
                    }
                    stop = .cancelled
                    break
                }
                pending = machine.handle(event)
            }
            sink.finish()
            group.cancelAll()
            return stop
        }
    }

    /// Returns once `pid` (our unreaped child) has exited, without reaping it: Subprocess reaps it after the
    /// body returns. Usually the leader has already exited when this is called, so the first check succeeds;
    /// a leader that closed its output and runs on is polled, less often the longer it runs.
    private static func waitForExit(of pid: pid_t) async {
        var interval = Duration.milliseconds(5)
        while !Task.isCancelled {
            var info = siginfo_t()
            // WNOWAIT leaves the child waitable; a zeroed siginfo keeps si_signo 0 when nothing has exited.
            if waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_signo == SIGCHLD {
                return
            }
            try? await Task.sleep(for: interval)
            interval = min(interval * 2, .milliseconds(200))
        }
    }
}
