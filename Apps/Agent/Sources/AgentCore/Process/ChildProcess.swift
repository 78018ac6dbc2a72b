#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs a child process in its own process group with `posix_spawn`, streams its combined stdout and
/// stderr line by line, and kills the whole group on timeout or shutdown (SIGTERM, then SIGKILL).
///
/// The pipe is read and the child reaped on a dedicated thread (never on the cooperative pool); the async
/// side only waits for that thread and sends signals.
public struct ChildProcess: Sendable {
    /// The program (absolute path, or a name looked up in `PATH`).
    public var executable: String
    /// The arguments after the program name.
    public var arguments: [String]
    /// The complete environment of the child.
    public var environment: [String: String]
    /// Longest line delivered at once; longer lines arrive in pieces.
    public var maxLineBytes = 16 * 1024
    /// How long after SIGTERM the group gets before SIGKILL.
    public var killAfter: Duration = .seconds(3)
    /// Called with the child's pid (also its process group id) once it is started.
    public var onSpawn: (@Sendable (Int32) -> Void)?

    /// Describes a child process.
    public init(executable: String, arguments: [String], environment: [String: String]) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
    }

    /// Runs the process to its end.
    ///
    /// - Parameters:
    ///   - timeout: when set, the group is terminated after this long and the result says `timedOut`.
    ///   - shutdown: when it fires, the process gets `grace` to finish, then its group is terminated and the
    ///     result says `cancelled`.
    ///   - onLine: called on the reader thread for each output line (without its newline).
    public func run(
        timeout: Duration? = nil,
        shutdown: StopSignal? = nil,
        grace: Duration = .seconds(10),
        onLine: @escaping @Sendable (String) -> Void
    ) async throws -> ProcessResult {
        let (pid, readFD) = try spawn()
        onSpawn?(pid)
        let killAfter = self.killAfter
        let maxLine = maxLineBytes
        enum Event: Sendable {
            case exited(Int32)
            case timeout
            case shutdown
            case graceOver
            case none
        }
        var timedOut = false
        var cancelled = false
        var terminated = false
        let status: Int32 = await withTaskGroup(of: Event.self) { group in
            group.addTask {
                .exited(await ChildProcess.readAndReap(pid: pid, fd: readFD, maxLine: maxLine, onLine: onLine))
            }
            if let timeout {
                group.addTask {
                    do { try await Task.sleep(for: timeout) } catch { return .none }
                    return .timeout
                }
            }
            if let shutdown {
                group.addTask {
                    await shutdown.wait()
                    return Task.isCancelled ? .none : .shutdown
                }
            }
            while let event = await group.next() {
                switch event {
                case .exited(let status):
                    group.cancelAll()
                    return status
                case .timeout:
                    if !terminated {
                        timedOut = true
                        terminated = true
                        kill(-pid, SIGTERM)
                    }
                case .shutdown:
                    group.addTask {
                        do { try await Task.sleep(for: grace) } catch { return .none }
                        return .graceOver
                    }
                case .graceOver:
                    if !terminated {
                        cancelled = true
                        terminated = true
                        kill(-pid, SIGTERM)
                    }
                case .none:
                    break
                }
            }
            return 0
        }
        if terminated {
            await ChildProcess.ensureGroupGone(pid, within: killAfter)
        }
        let code: Int32? = (status & 0x7f) == 0 ? (status >> 8) & 0xff : nil
        let signal: Int32? = (status & 0x7f) != 0 ? status & 0x7f : nil
        return ProcessResult(exitCode: code, signal: signal, timedOut: timedOut, cancelled: cancelled)
    }

    /// Waits until no process of group `pgid` is left, sending SIGKILL to the group if any is still there
    /// after `within`.
    static func ensureGroupGone(_ pgid: pid_t, within: Duration) async {
        let clock = ContinuousClock()
        let deadline = clock.now + within
        while clock.now < deadline {
            if kill(-pgid, 0) != 0 && errno == ESRCH { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
        kill(-pgid, SIGKILL)
    }

    private func spawn() throws -> (pid_t, Int32) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw AgentError.step("cannot create a pipe: \(FileSystem.errorText())")
        }
        // Not inherited by other children; dup2 onto 1 and 2 clears the flag for this one.
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attr, &noSignals)
        // The agent ignores SIGPIPE and handles SIGTERM itself; children start with default dispositions.
        posix_spawnattr_setsigdefault(&attr, &allSignals)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(
            &attr,
            Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        )

        let argv = ([executable] + arguments).map { strdup($0) }
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") }
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var cArgv: [UnsafeMutablePointer<CChar>?] = argv + [nil]
        var cEnvp: [UnsafeMutablePointer<CChar>?] = envp + [nil]
        var pid: pid_t = 0
        let rc: Int32
        if executable.contains("/") {
            rc = posix_spawn(&pid, executable, &actions, &attr, &cArgv, &cEnvp)
        } else {
            rc = posix_spawnp(&pid, executable, &actions, &attr, &cArgv, &cEnvp)
        }
        close(fds[1])
        if rc != 0 {
            close(fds[0])
            throw AgentError.step("cannot start \(executable): \(FileSystem.errorText(rc))")
        }
        return (pid, fds[0])
    }

    /// Reads `fd` to its end (or briefly past the child's exit, when a background grandchild keeps the pipe
    /// open) and reaps `pid`, on a thread of its own. Returns the raw wait status.
    static func readAndReap(pid: pid_t, fd: Int32, maxLine: Int, onLine: @escaping @Sendable (String) -> Void) async
        -> Int32
    {
        await withCheckedContinuation { continuation in
            BlockingThread.start {
                let status = readLoop(pid: pid, fd: fd, maxLine: maxLine, onLine: onLine)
                continuation.resume(returning: status)
            }
        }
    }

    private static func readLoop(pid: pid_t, fd: Int32, maxLine: Int, onLine: (String) -> Void) -> Int32 {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        defer { close(fd) }
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        var status: Int32 = 0
        var exited = false
        var drainUntil: timespec?
        var eof = false

        func emit(_ bytes: ArraySlice<UInt8>) {
            var line = bytes
            if line.last == 0x0D { line = line.dropLast() }
            onLine(String(decoding: line, as: UTF8.self))
        }
        func flushLines() {
            var start = 0
            while let newline = pending[start...].firstIndex(of: 0x0A) {
                emit(pending[start..<newline])
                start = newline + 1
            }
            pending.removeFirst(start)
            while pending.count >= maxLine {
                emit(pending[0..<maxLine])
                pending.removeFirst(maxLine)
            }
        }

        while true {
            if !eof {
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&pfd, 1, 100)
                while true {
                    let n = buffer.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
                    if n > 0 {
                        pending.append(contentsOf: buffer[0..<n])
                        flushLines()
                        continue
                    }
                    if n == 0 { eof = true }
                    if n < 0 && errno == EINTR { continue }
                    break
                }
            }
            if !exited {
                let r = waitpid(pid, &status, eof ? 0 : WNOHANG)
                if r == pid || (r < 0 && errno == ECHILD) {
                    exited = true
                    var now = timespec()
                    clock_gettime(CLOCK_MONOTONIC, &now)
                    now.tv_nsec += 300_000_000
                    if now.tv_nsec >= 1_000_000_000 {
                        now.tv_sec += 1
                        now.tv_nsec -= 1_000_000_000
                    }
                    drainUntil = now
                }
            }
            if exited {
                if eof { break }
                var now = timespec()
                clock_gettime(CLOCK_MONOTONIC, &now)
                if let until = drainUntil,
                    now.tv_sec > until.tv_sec || (now.tv_sec == until.tv_sec && now.tv_nsec >= until.tv_nsec)
                {
                    break
                }
            }
        }
        if !pending.isEmpty { emit(pending[...]) }
        return status
    }
}
