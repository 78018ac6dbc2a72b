import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A process started in its own process group, its output (stdout and stderr) appended to a log file.
///
/// Waiting polls `waitpid(WNOHANG)` with short sleeps, so no cooperative thread is ever blocked; stopping
/// signals the whole group, so a shell and the commands it started go together.
public final class ChildProcess: Sendable {
    /// The child's process id, which is also its process-group id.
    public let pid: pid_t
    /// The executable and arguments, for messages.
    public let commandLine: String
    /// Where its stdout and stderr go.
    public let log: URL
    private let exit = Mutex<Int32?>(nil)

    /// Starts `arguments[0]` (looked up in `PATH` unless it contains a slash) with `environment` as its whole
    /// environment, in `directory`, stdin from /dev/null and stdout+stderr appended to `log`.
    public init(
        _ arguments: [String], environment: [String: String], directory: URL? = nil, log: URL
    ) throws {
        precondition(!arguments.isEmpty)
        commandLine = arguments.joined(separator: " ")
        var arguments = arguments
        if let directory {
            // Glibc's posix_spawn_file_actions_addchdir_np is not imported into Swift: a shell changes folder,
            // then execs the command (same pid, so the process group is unchanged).
            arguments = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory.path] + arguments
        }
        self.log = log
        try FileManager.default.createDirectory(
            at: log.deletingLastPathComponent(), withIntermediateDirectories: true)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A new process group (so the group can be signalled), default signal dispositions and an empty
        // mask (the test process may ignore SIGPIPE; the child must not inherit that).
        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let status: Int32
        if arguments[0].contains("/") {
            status = posix_spawn(&child, arguments[0], &actions, &attributes, argv, envp)
        } else {
            // posix_spawnp searches the PATH of the test process; the child gets `environment`.
            status = posix_spawnp(&child, arguments[0], &actions, &attributes, argv, envp)
        }
        guard status == 0 else {
            throw SystemTestError("cannot start `\(commandLine)`: \(String(cString: strerror(status)))")
        }
        pid = child
    }

    /// The exit status once the process has ended (a signal number is reported as 128 + signal), else nil.
    public var exitStatus: Int32? {
        exit.withLock { stored in
            if let stored { return stored }
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            guard result == pid else { return nil }
            let code: Int32
            if status & 0x7f == 0 {
                code = (status >> 8) & 0xff
            } else {
                code = 128 + (status & 0x7f)
            }
            stored = code
            return code
        }
    }

    /// Whether the process is still running (not yet reaped).
    public var isRunning: Bool { exitStatus == nil }

    /// Waits until the process ends or `timeout` passes; returns its exit status, or nil on timeout.
    @discardableResult
    public func wait(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        var pause = Duration.milliseconds(1)
        while true {
            if let status = exitStatus { return status }
            if ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(25))
        }
    }

    /// Sends `signal` to the whole process group.
    public func signalGroup(_ signal: Int32) {
        _ = Glibc.kill(-pid, signal)
    }

    /// Sends `signal` to the process alone.
    public func signal(_ signal: Int32) {
        _ = Glibc.kill(pid, signal)
    }

    /// SIGKILL to the whole group, then reaps the process: what `kill -9` and a power loss look like.
    public func kill9() async {
        signalGroup(SIGKILL)
        await wait(timeout: .seconds(10))
    }

    /// SIGTERM to the group; after `grace`, SIGKILL to whatever is left. Returns the exit status.
    @discardableResult
    public func stop(grace: Duration = .seconds(5)) async -> Int32? {
        if let reaped = exit.withLock({ $0 }) {
            return reaped  // ended and reaped earlier (kill9, wait): its group was dealt with then
        }
        if let status = exitStatus {
            signalGroup(SIGKILL)  // stragglers of a group whose leader just ended
            return status
        }
        signalGroup(SIGTERM)
        if let status = await wait(timeout: grace) {
            signalGroup(SIGKILL)
            return status
        }
        signalGroup(SIGKILL)
        return await wait(timeout: .seconds(10))
    }
}
