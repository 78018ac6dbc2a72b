import Foundation
import Subprocess
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// A process started in its own process group through swift-subprocess, its stdout and stderr appended to log
/// files.
///
/// The system tests keep servers and agents running across a whole scenario and kill them by process id (a
/// `kill -9` is the point of several scenarios), so a process is not scoped to one closure: each one is owned by a
/// task that runs `Subprocess.run` until the process ends and records how it ended. Nothing blocks a cooperative
/// thread (swift-subprocess waits for the exit on its own thread); stopping signals the whole group, so a shell
/// and the commands it started go together.
public final class ChildProcess: Sendable {
    /// The child's process id, which is also its process-group id.
    public let pid: pid_t
    /// The executable and arguments, for messages.
    public let commandLine: String
    /// Where its stdout goes (and stderr, unless it was given its own file).
    public let log: URL
    /// Set when the process has ended: its exit status, or 128 + the signal that ended it.
    private let exit: ExitRecord
    /// Runs the process to its end.
    private let owner: Task<Void, Never>

    private init(pid: pid_t, commandLine: String, log: URL, exit: ExitRecord, owner: Task<Void, Never>) {
        self.pid = pid
        self.commandLine = commandLine
        self.log = log
        self.exit = exit
        self.owner = owner
    }

    /// Starts `arguments[0]` (looked up in `PATH` unless it contains a slash) with `environment` as its whole
    /// environment, in `directory`, its own process group, stdin from `stdin` (default /dev/null), stdout appended
    /// to `log` and stderr to `errorLog` (default: `log` too). Returns once the process is running.
    public static func start(
        _ arguments: [String], environment: [String: String], directory: URL? = nil, log: URL,
        errorLog: URL? = nil, stdin: URL? = nil
    ) async throws -> ChildProcess {
        precondition(!arguments.isEmpty)
        let commandLine = arguments.joined(separator: " ")
        for file in [log, errorLog].compactMap({ $0 }) {
            try FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        }
        let files = try StandardFiles(stdin: stdin, log: log, errorLog: errorLog)

        var options = PlatformOptions()
        options.processGroupID = 0  // its own group, led by itself: signalling the group never reaches the tests
        var variables: [Environment.Key: String] = [:]
        for (name, value) in environment { variables[Environment.Key(stringLiteral: name)] = value }
        let executable: Executable =
            arguments[0].contains("/") ? .path(FilePath(arguments[0])) : .name(arguments[0])
        let configuration = Configuration(
            executable: executable, arguments: Arguments(Array(arguments.dropFirst())),
            environment: .custom(variables), workingDirectory: directory.map { FilePath($0.path) },
            platformOptions: options)

        let exit = ExitRecord()
        let (started, startedSink) = AsyncStream.makeStream(of: Result<pid_t, any Error>.self)
        let owner = Task {
            do {
                let result = try await Subprocess.run(
                    configuration, input: .fileDescriptor(files.input, closeAfterSpawningProcess: true),
                    output: .fileDescriptor(files.output, closeAfterSpawningProcess: true),
                    error: .fileDescriptor(files.error, closeAfterSpawningProcess: true)
                ) { execution in
                    startedSink.yield(.success(execution.processIdentifier.value))
                }
                let code: Int32 =
                    switch result.terminationStatus {
                    case .exited(let code): code
                    case .signaled(let signal): 128 + signal
                    }
                exit.status.withLock { $0 = code }
            } catch {
                // Before the launch this is why it failed; after it (never expected), the end is unknown: record
                // one so no wait lasts to its deadline for nothing.
                startedSink.yield(.failure(error))
                exit.status.withLock { $0 = $0 ?? 255 }
            }
            startedSink.finish()
        }
        var iterator = started.makeAsyncIterator()
        switch await iterator.next() {
        case .success(let pid):
            return ChildProcess(pid: pid, commandLine: commandLine, log: log, exit: exit, owner: owner)
        case .failure(let error):
            let reason = (error as? SubprocessError)?.underlyingError.map { "\($0)" } ?? "\(error)"
            throw SystemTestError("cannot start `\(commandLine)`: \(reason)")
        case nil:
            throw SystemTestError("cannot start `\(commandLine)`: the launch ended without a process")
        }
    }

    /// The exit status once the process has ended (a signal number is reported as 128 + signal), else nil.
    public var exitStatus: Int32? { exit.status.withLock { $0 } }

    /// Whether the process is still running.
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

    /// Sends `signal` to the process alone (only while it runs: its pid may be reused once it has ended).
    public func signal(_ signal: Int32) {
        guard isRunning else { return }
        _ = Glibc.kill(pid, signal)
    }

    /// SIGKILL to the whole group, then waits for the process's end: what `kill -9` and a power loss look like.
    public func kill9() async {
        signalGroup(SIGKILL)
        await wait(timeout: .seconds(10))
    }

    /// SIGTERM to the group; after `grace`, SIGKILL to whatever is left. Returns the exit status.
    ///
    /// A group outlives its leader while any member runs, and its id is not reused until the last one has gone,
    /// so the final SIGKILL reaches stragglers of a leader that has already ended, and nobody else.
    @discardableResult
    public func stop(grace: Duration = .seconds(5)) async -> Int32? {
        if let status = exitStatus {
            signalGroup(SIGKILL)
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

/// How a process ended, shared by the process's handle and the task that runs it.
private final class ExitRecord: Sendable {
    /// The exit status, or 128 + the signal that ended it; nil while it runs.
    let status = Mutex<Int32?>(nil)
}

/// The three descriptors a child starts with, opened before the launch; swift-subprocess closes them once the child
/// has its copies.
private struct StandardFiles: Sendable {
    let input: FileDescriptor
    let output: FileDescriptor
    let error: FileDescriptor

    init(stdin: URL?, log: URL, errorLog: URL?) throws {
        let append: FileDescriptor.OpenOptions = [.create, .append]
        let permissions: FilePermissions = [.ownerReadWrite, .groupRead, .otherRead]
        var opened: [FileDescriptor] = []
        do {
            opened.append(try FileDescriptor.open(FilePath(stdin?.path ?? "/dev/null"), .readOnly))
            opened.append(
                try FileDescriptor.open(FilePath(log.path), .writeOnly, options: append, permissions: permissions))
            if let errorLog {
                opened.append(
                    try FileDescriptor.open(
                        FilePath(errorLog.path), .writeOnly, options: append, permissions: permissions))
            } else {
                opened.append(try opened[1].duplicate())
            }
        } catch {
            for descriptor in opened { try? descriptor.close() }
            throw SystemTestError("cannot open the standard files of a child process: \(error)")
        }
        input = opened[0]
        output = opened[1]
        self.error = opened[2]
    }
}
