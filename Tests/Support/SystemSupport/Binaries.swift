import Foundation
import Synchronization

/// Finds the release binaries under test, building them once per test process when they are missing.
///
/// The folder is `$PROSTAGMA_BIN_DIR` when set (it must then hold both binaries), else `<repo>/dist/`, which
/// `make -C <repo> server agent` fills. The build runs once however many tests ask at the same time, under a
/// file lock so two test processes do not build together.
public enum Binaries {
    /// The server executable's name.
    public static let serverName = "prostagma-server"
    /// The agent executable's name.
    public static let agentName = "prostagma-agent"

    private static let once = Mutex<Task<URL, any Error>?>(nil)

    /// The folder holding both binaries, built first if needed.
    public static func directory() async throws -> URL {
        let task = once.withLock { stored in
            if let stored { return stored }
            let task = Task { try await locate() }
            stored = task
            return task
        }
        return try await task.value
    }

    /// The server binary.
    public static func server() async throws -> URL {
        try await directory().appendingPathComponent(serverName)
    }

    /// The agent binary.
    public static func agent() async throws -> URL {
        try await directory().appendingPathComponent(agentName)
    }

    private static func present(in directory: URL) -> Bool {
        [serverName, agentName].allSatisfy {
            FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent($0).path)
        }
    }

    private static func locate() async throws -> URL {
        if let configured = ProcessInfo.processInfo.environment["PROSTAGMA_BIN_DIR"], !configured.isEmpty {
            let directory = URL(fileURLWithPath: configured)
            guard present(in: directory) else {
                throw SystemTestError(
                    "PROSTAGMA_BIN_DIR=\(configured) does not hold executable \(serverName) and \(agentName)")
            }
            return directory
        }
        let dist = Repository.root.appendingPathComponent("dist")
        if present(in: dist) { return dist }
        let logs = Repository.output.appendingPathComponent("logs")
        try FileSystem.makeDirectory(logs)
        let log = logs.appendingPathComponent("build-binaries.log")
        let lock = logs.appendingPathComponent("build-binaries.lock")
        // flock: another test process building at the same time waits, then finds the binaries present.
        let result = try await Command.run(
            [
                "flock", lock.path, "sh", "-c",
                "test -x dist/\(serverName) -a -x dist/\(agentName) || make server agent",
            ],
            directory: Repository.root, timeout: .seconds(45 * 60))
        try? (result.stdout + result.stderr).write(to: log)
        guard result.status == 0, present(in: dist) else {
            throw SystemTestError(
                "the binaries under test are missing and `make -C \(Repository.root.path) server agent` "
                    + "failed (exit \(result.status)); full log: \(log.path)\n" + FileSystem.tail(log, lines: 25))
        }
        return dist
    }
}
