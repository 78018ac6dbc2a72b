import Foundation

/// The result of a short command: its exit status and what it printed.
public struct CommandResult: Sendable {
    /// Exit status (128 + signal when killed).
    public let status: Int32
    /// Everything written to stdout.
    public let stdout: Data
    /// Everything written to stderr.
    public let stderr: Data

    /// stdout as text.
    public var output: String { String(decoding: stdout, as: UTF8.self) }
    /// stderr as text.
    public var errorOutput: String { String(decoding: stderr, as: UTF8.self) }
}

/// Runs short commands (curl, aws, promtool, zip) to completion and captures their output.
public enum Command {
    private static let scratch: URL = {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("prostagma-systemtests-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// A fresh path in a scratch folder of this test process.
    public static func scratchFile(_ suffix: String = "") -> URL {
        scratch.appendingPathComponent(UUID().uuidString + suffix)
    }

    /// The environment of the test process without Prostagma's own variables, so none leaks into a child.
    public static var baseEnvironment: [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PROSTAGMA_") }
    }

    /// Runs `arguments` with the test's environment plus `environment`; kills it after `timeout`.
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], directory: URL? = nil,
        stdin: URL? = nil, timeout: Duration = .seconds(60)
    ) async throws -> CommandResult {
        let out = scratchFile(".out")
        let err = scratchFile(".err")
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        let env = baseEnvironment.merging(environment) { $1 }
        let process = try await ChildProcess.start(
            arguments, environment: env, directory: directory, log: out, errorLog: err, stdin: stdin)
        guard let status = await process.wait(timeout: timeout) else {
            await process.stop(grace: .seconds(1))
            throw SystemTestError(
                "`\(arguments.joined(separator: " "))` did not finish within \(timeout); stderr: "
                    + FileSystem.tail(err, lines: 10))
        }
        return CommandResult(
            status: status,
            stdout: FileManager.default.contents(atPath: out.path) ?? Data(),
            stderr: FileManager.default.contents(atPath: err.path) ?? Data())
    }

    /// Runs a command and throws, with its output, unless it exits 0.
    @discardableResult
    public static func check(
        _ arguments: [String], environment: [String: String] = [:], directory: URL? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> CommandResult {
        let result = try await run(arguments, environment: environment, directory: directory, timeout: timeout)
        guard result.status == 0 else {
            throw SystemTestError(
                "`\(arguments.joined(separator: " "))` exited \(result.status): \(result.errorOutput)\(result.output)")
        }
        return result
    }
}
