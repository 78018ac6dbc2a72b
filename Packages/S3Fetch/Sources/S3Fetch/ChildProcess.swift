#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A process started with `posix_spawn` (never a shell) in its own process group, with standard input
/// from /dev/null and standard output and error on pipes the caller reads.
struct ChildProcess: Sendable {
    let pid: pid_t
    let stdoutFD: Int32
    let stderrFD: Int32

    /// Starts `path` with `arguments` (argv[0] is `path`) and exactly `environment`. Returns the errno of
    /// a failed spawn (ENOENT, EACCES, ...).
    static func spawn(path: String, arguments: [String], environment: [String: String]) -> Result<ChildProcess, Errno> {
        var out: [Int32] = [-1, -1]
        var err: [Int32] = [-1, -1]
        guard makePipe(&out, flags: 0) == 0 else { return .failure(Errno(errno)) }
        guard makePipe(&err, flags: 0) == 0 else {
            let code = errno
            close(out[0])
            close(out[1])
            return .failure(Errno(code))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group, so a timeout can kill the CLI and everything it started.
        posix_spawnattr_setpgroup(&attributes, 0)
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        // A server usually ignores SIGPIPE; the CLI should get default handling back.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid = pid_t()
        var status = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        // ETXTBSY: a freshly written executable is still open for writing in a process another thread is
        // forking right now; that descriptor goes away at its exec, so a short retry succeeds.
        var attempts = 0
        while status == ETXTBSY && attempts < 50 {
            attempts += 1
            usleep(10_000)
            status = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        }
        close(out[1])
        close(err[1])
        guard status == 0 else {
            close(out[0])
            close(err[0])
            return .failure(Errno(status))
        }
        return .success(ChildProcess(pid: pid, stdoutFD: out[0], stderrFD: err[0]))
    }

    /// Sends SIGKILL to the whole process group (the CLI and any children it started).
    func killGroup() {
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
    }
}

/// `pipe()` with both ends close-on-exec (and `flags` such as `O_NONBLOCK`): Glibc's `pipe2` is not
/// visible to Swift without `_GNU_SOURCE`. Another thread spawning between the two calls could inherit
/// the pipe, which would only delay end of file until that process exits.
func makePipe(_ fds: inout [Int32], flags: Int32) -> Int32 {
    guard pipe(&fds) == 0 else { return -1 }
    for fd in fds {
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        if flags != 0 { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | flags) }
    }
    return 0
}

/// An errno value with its text.
struct Errno: Error, Sendable, Hashable, CustomStringConvertible {
    let code: Int32
    init(_ code: Int32) { self.code = code }
    var description: String { String(cString: strerror(code)) }
}
