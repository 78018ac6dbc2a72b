import Foundation
import Synchronization

/// The original Go Prostagma, built from `../shared/reference/` with its `build-original.sh` (Debian's Go
/// packages, offline), for the interoperability scenarios: the original client against our server, and our
/// agent against the original server.
///
/// The binary is built once per test process into `Tests/output/original/prostagma` (under a file lock, so two
/// test processes do not build together) and reused while it is newer than the reference's sources.
public enum OriginalProstagma {
    private static let once = Mutex<Task<URL, any Error>?>(nil)

    /// The reference folder beside the repository.
    public static var reference: URL {
        Repository.root.deletingLastPathComponent().appendingPathComponent("shared/reference")
    }

    /// The built binary (building it first when needed).
    public static func binary() async throws -> URL {
        let task = once.withLock { stored in
            if let stored { return stored }
            let task = Task { try await build() }
            stored = task
            return task
        }
        return try await task.value
    }

    private static func build() async throws -> URL {
        let script = reference.appendingPathComponent("build-original.sh")
        guard FileManager.default.isReadableFile(atPath: script.path) else {
            throw SystemTestError(
                "the original's sources are not at \(reference.path) (../shared/reference beside the repository)")
        }
        let folder = Repository.output.appendingPathComponent("original")
        try FileSystem.makeDirectory(folder)
        let binary = folder.appendingPathComponent("prostagma")
        let log = folder.appendingPathComponent("build.log")
        // flock: another test process building at the same time waits, then finds the binary fresh.
        let command =
            "test -x \"$1\" && test -z \"$(find \"$2\" -newer \"$1\" -name '*.go')\" || bash \"$3\" \"$1\""
        let result = try await Command.run(
            [
                "flock", folder.appendingPathComponent("build.lock").path, "/bin/sh", "-c", command, "sh",
                binary.path, reference.appendingPathComponent("prostagma-go").path, script.path,
            ], timeout: .seconds(900))
        try (result.output + result.errorOutput).write(to: log, atomically: true, encoding: .utf8)
        guard result.status == 0, FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw SystemTestError(
                "building the original with \(script.path) failed (status \(result.status)); see \(log.path):\n"
                    + result.errorOutput.suffix(2000))
        }
        return binary
    }
}

/// A running original server (`prostagma server`), in memory only: a restart goes back to count 0.
///
/// Its cache folder is the fixed `/tmp/prostagma_cache/`, wiped at its start, so scenarios that run one must be
/// serialized with each other.
public final class OriginalServer: Sendable {
    /// Its port on 127.0.0.1.
    public let port: UInt16
    /// The shared secret.
    public let secret: String
    /// Its log (stdout and stderr, appended across restarts).
    public let log: URL
    private let environment: [String: String]
    private let harness: SystemHarness
    private let current = Mutex<ChildProcess?>(nil)

    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The running process, if any.
    public var process: ChildProcess? { current.withLock { $0 } }

    init(harness: SystemHarness, name: String, s3: MotoS3?) throws {
        self.harness = harness
        port = try FreePort.next()
        secret = harness.secret
        log = harness.path("\(name)/original-server.log")
        var env = Command.baseEnvironment
        env["PROSTAGMA_HOST"] = "127.0.0.1:\(port)"
        env["PROSTAGMA_SECRET"] = secret
        if let s3 {
            env.merge(s3.environment) { $1 }
        }
        environment = env
    }

    /// Starts `prostagma server` and waits until it answers `GET /trigger`.
    public func start() async throws {
        let binary = try await OriginalProstagma.binary()
        // The original runs `$PROSTAGMA_AWS s3 cp URL FILE` and wants an absolute path.
        let process = try await harness.spawn(
            [binary.path, "server"], environment: environment.merging(["PROSTAGMA_AWS": try Self.aws()]) { $1 },
            log: log)
        current.withLock { $0 = process }
        let url = baseURL + "/trigger"
        let body = Data(#"{"secret": "\#(secret)", "trigger": "probe"}"#.utf8)
        try await Poll.check("the original server on port \(port)", timeout: .seconds(30), interval: .milliseconds(50))
        {
            if let status = process.exitStatus {
                throw SystemTestError(
                    "the original server exited \(status) at start:\n" + FileSystem.tail(self.log, lines: 20))
            }
            return (try? await HTTP.request("GET", url, body: body, timeout: .seconds(2)))?.status == 200
        }
    }

    /// Stops it (SIGTERM, then SIGKILL): its counts are gone.
    public func stop() async {
        await process?.stop(grace: .seconds(3))
    }

    /// `POST /trigger` as the README's pipeline does; returns the HTTP status.
    @discardableResult
    public func increment(_ trigger: String) async throws -> Int {
        try await HTTP.request(
            "POST", baseURL + "/trigger", body: Data(#"{"secret": "\#(secret)", "trigger": "\#(trigger)"}"#.utf8)
        ).status
    }

    /// The absolute path of the aws CLI (the original wants one in `PROSTAGMA_AWS`).
    static func aws() throws -> String {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin").split(separator: ":") {
            let candidate = "\(folder)/aws"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw SystemTestError("the aws CLI is not on PATH (make deps installs it with pip)")
    }
}

/// A running original client (`prostagma client`): polls `GET /trigger` every 5 s and runs its script on a change.
public final class OriginalClient: Sendable {
    /// The running process.
    public let process: ChildProcess
    /// Its log.
    public let log: URL

    init(harness: SystemHarness, name: String, server: String, secret: String, trigger: String, script: String)
        async throws
    {
        let binary = try await OriginalProstagma.binary()
        let folder = harness.path(name)
        try FileSystem.makeDirectory(folder)
        let scriptFile = folder.appendingPathComponent("deploy.yaml")
        try FileSystem.write(script, to: scriptFile)
        log = folder.appendingPathComponent("original-client.log")
        var env = Command.baseEnvironment
        env["PROSTAGMA_HOST"] = server
        env["PROSTAGMA_SECRET"] = secret
        env["PROSTAGMA_TRIGGER"] = trigger
        env["PROSTAGMA_SCRIPT"] = scriptFile.path
        env["PROSTAGMA_SHELL"] = "/bin/sh"
        env["PROSTAGMA_PROM_PORT"] = String(try FreePort.next())
        process = try await harness.spawn([binary.path, "client"], environment: env, directory: folder, log: log)
    }
}

extension SystemHarness {
    /// Starts the original server (its log under `<scenario>/<name>/`); with `s3`, its aws CLI reaches moto.
    public func startOriginalServer(name: String = "original", s3: MotoS3? = nil) async throws -> OriginalServer {
        let server = try OriginalServer(harness: self, name: name, s3: s3)
        try await server.start()
        return server
    }

    /// Starts the original client watching `trigger` on `server` (a base URL) with `script`.
    public func startOriginalClient(
        _ name: String, server: String, secret: String, trigger: String, script: String
    ) async throws -> OriginalClient {
        try await OriginalClient(
            harness: self, name: name, server: server, secret: secret, trigger: trigger, script: script)
    }
}
