import Foundation
import Synchronization

/// One scenario's world: its folder under `Tests/output/<test name>/` and every process it starts.
///
/// `SystemHarness.run` creates a fresh folder, runs the scenario, then stops every process the scenario
/// started (SIGTERM to its group, SIGKILL after a grace period) whatever happened. The folder is kept
/// afterwards (Swift Testing does not tell a scenario whether an `#expect` failed, so "kept on failure" means
/// kept until the scenario's next run replaces it; `make clean` removes them all), unless
/// `PROSTAGMA_CLEAN_OUTPUT=1` asks to remove the folders of scenarios that returned without throwing.
public final class SystemHarness: Sendable {
    /// The scenario's own folder.
    public let directory: URL
    /// The shared secret of the servers this harness starts.
    public let secret = "system-test-secret-" + UUID().uuidString.prefix(8).lowercased()
    private let children = Mutex<[ChildProcess]>([])

    private init(directory: URL) {
        self.directory = directory
    }

    /// Runs `body` in a fresh harness named `name` (by default the calling test function's name).
    public static func run<T: Sendable>(
        _ name: String = #function, _ body: (SystemHarness) async throws -> T
    ) async throws -> T {
        let safe = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
            .trimmingCharacters(in: CharacterSet(charactersIn: "_"))
        let directory = Repository.output.appendingPathComponent(safe)
        try? FileManager.default.removeItem(at: directory)
        try FileSystem.makeDirectory(directory)
        let harness = SystemHarness(directory: directory)
        do {
            let value = try await body(harness)
            await harness.stopAll()
            if ProcessInfo.processInfo.environment["PROSTAGMA_CLEAN_OUTPUT"] == "1" {
                try? FileManager.default.removeItem(at: directory)
            }
            return value
        } catch {
            await harness.stopAll()
            throw SystemTestError("\(error)\n(scenario files and logs kept in \(directory.path))")
        }
    }

    /// A path inside the scenario's folder.
    public func path(_ relative: String) -> URL {
        directory.appendingPathComponent(relative)
    }

    /// Registers a process so it is stopped when the scenario ends.
    public func track(_ process: ChildProcess) {
        children.withLock { $0.append(process) }
    }

    /// Starts a tracked process.
    public func spawn(
        _ arguments: [String], environment: [String: String], directory: URL? = nil, log: URL
    ) async throws -> ChildProcess {
        let process = try await ChildProcess.start(
            arguments, environment: environment, directory: directory, log: log)
        track(process)
        return process
    }

    /// Stops every process started in this scenario (the newest first).
    public func stopAll() async {
        let all = children.withLock { $0 }
        await withTaskGroup(of: Void.self) { group in
            for process in all.reversed() {
                group.addTask { await process.stop(grace: .seconds(3)) }
            }
        }
    }
}
