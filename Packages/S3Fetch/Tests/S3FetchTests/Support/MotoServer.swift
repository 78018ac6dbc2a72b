import Foundation
import Testing

/// A real moto S3 server on a free loopback port, started once per suite by the `.motoServer` trait and
/// always stopped after it (even when a test fails or throws).
final class MotoServer: Sendable {
    @TaskLocal static var current: MotoServer?

    let port: Int
    let process: Process
    let logPath: String

    /// The endpoint URL the aws CLI should use.
    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// The environment for the CLI against this server: dummy credentials, no shared config files.
    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["AWS_ENDPOINT_URL"] = endpoint
        env["AWS_ACCESS_KEY_ID"] = "testing"
        env["AWS_SECRET_ACCESS_KEY"] = "testing"
        env["AWS_SESSION_TOKEN"] = nil
        env["AWS_DEFAULT_REGION"] = "us-east-1"
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        env["AWS_PROFILE"] = nil
        return env
    }

    private init(port: Int, process: Process, logPath: String) {
        self.port = port
        self.process = process
        self.logPath = logPath
    }

    static func start() async throws -> MotoServer {
        let port = try freePort()
        let process = Process()
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("moto-\(port).log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        if let moto = Shell.which("moto_server") {
            process.executableURL = URL(fileURLWithPath: moto)
            process.arguments = ["-H", "127.0.0.1", "-p", String(port)]
        } else {
            process.executableURL = URL(fileURLWithPath: Shell.which("python3") ?? "/usr/bin/python3")
            process.arguments = ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)]
        }
        let log = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let server = MotoServer(port: port, process: process, logPath: logPath)
        // moto takes seconds to import on a loaded machine; 30 s is the deadline, not a guess at the time.
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if try server.answers() { return server }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        server.stop()
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        throw MotoError(message: "moto_server did not answer on port \(port): \(text)")
    }

    /// Kills moto with SIGKILL: Foundation's `Process` starts it with the spawning thread's signal mask, in
    /// which the test runner's threads block SIGTERM and SIGINT, so a polite signal would wait forever.
    /// moto keeps everything in memory; there is nothing to flush.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Runs the real aws CLI against this server for setup (create buckets, put objects, policies).
    @discardableResult
    func aws(_ arguments: [String]) throws -> Shell.Output {
        let output = try Shell.run(Shell.aws, arguments, environment: environment)
        if output.status != 0 {
            throw MotoError(message: "aws \(arguments.joined(separator: " ")) failed: \(output.stderr)")
        }
        return output
    }

    private func answers() throws -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw MotoError(message: "cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct MotoError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Starts one moto server around a whole suite and stops it afterwards, whatever happens.
struct MotoServerTrait: SuiteTrait, TestScoping {
    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let server = try await MotoServer.start()
        defer { server.stop() }
        try await MotoServer.$current.withValue(server) {
            try await function()
        }
    }
}

extension Trait where Self == MotoServerTrait {
    /// Runs the suite against a fresh moto S3 server (`MotoServer.current`).
    static var motoServer: Self { MotoServerTrait() }
}
