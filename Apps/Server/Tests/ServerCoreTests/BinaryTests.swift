import AsyncHTTPClient
import Foundation
import Testing

@testable import ServerCore

/// Runs the real `prostagma-server` executable (built beside the tests).
@Suite(.serialized, .timeLimit(.minutes(5))) struct BinaryTests {
    /// The binary `swift test` built beside the test bundle (this package's build, or the root manifest's), else
    /// this package's debug build. Missing, the tests fail on launching it rather than being skipped.
    static let binary: String = {
        let bundleFolder = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("prostagma-server").path,
            bundleFolder.appendingPathComponent("prostagma-server").path,
            package.appendingPathComponent(".build/debug/prostagma-server").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[2]
    }()

    /// Starts the binary with `environment`; returns the process and its output file.
    static func start(_ environment: [String: String], directory: String) throws -> (Process, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PROSTAGMA_") }
        env.merge(environment) { _, new in new }
        process.environment = env
        let output = directory + "/server.log"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return (process, output)
    }

    static func waitUntilListening(_ port: Int, process: Process) async throws {
        for _ in 0..<400 {
            if Origin.canConnect(port) { return }
            if !process.isRunning { throw ServerError.configuration("the server exited early") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ServerError.configuration("the server did not listen on \(port)")
    }

    @Test
    func sigtermAnswersOpenLongPollsAndExitsCleanly() async throws {
        try await withTemporaryDirectory { directory in
            let port = try Origin.freePort()
            let (process, log) = try Self.start(
                [
                    "PROSTAGMA_HOST": "127.0.0.1:\(port)", "PROSTAGMA_SECRET": "s",
                    "PROSTAGMA_DATA": directory + "/data",
                ],
                directory: directory)
            defer { if process.isRunning { process.terminate() } }
            try await Self.waitUntilListening(port, process: process)
            let client = AsyncHTTPClient.HTTPClient(eventLoopGroupProvider: .singleton)
            do {
                var health = HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz")
                health.method = .GET
                let healthz = try await client.execute(health, timeout: .seconds(10))
                let epochJSON = try await healthz.body.collect(upTo: 1 << 16)
                let epoch = try #require(
                    (try JSONSerialization.jsonObject(with: Data(epochJSON.readableBytesView)) as? [String: Any])?[
                        "epoch"]
                        as? String)
                var poll = HTTPClientRequest(
                    url: "http://127.0.0.1:\(port)/v1/triggers/app?after=0&epoch=\(epoch)&wait=60")
                poll.headers.add(name: "authorization", value: "Bearer s")
                let start = ContinuousClock.now
                async let answer = client.execute(poll, timeout: .seconds(90))
                // Wait until the poll is open, then SIGTERM.
                for _ in 0..<200 {
                    let metrics = try await client.execute(
                        HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(10))
                    let text = String(buffer: try await metrics.body.collect(upTo: 1 << 22))
                    if text.contains(#"prostagma_watchers{trigger="app"} 1"#) { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                kill(process.processIdentifier, SIGTERM)
                let response = try await answer
                #expect(response.status == .ok)
                let body = String(buffer: try await response.body.collect(upTo: 1 << 16))
                #expect(body.contains(#""count":0"#))
                #expect(ContinuousClock.now - start < .seconds(30))
                try await client.shutdown()
            } catch {
                try? await client.shutdown()
                throw error
            }
            try await offThePool { process.waitUntilExit() }
            #expect(process.terminationStatus == 0, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            let output = try String(contentsOfFile: log, encoding: .utf8)
            #expect(!output.contains("\"s\""))
        }
    }

    @Test
    func generatesASecretOnceAndReusesIt() async throws {
        try await withTemporaryDirectory { directory in
            var printed: [String] = []
            for _ in 0..<2 {
                let port = try Origin.freePort()
                let (process, log) = try Self.start(
                    ["PROSTAGMA_HOST": "127.0.0.1:\(port)", "PROSTAGMA_DATA": directory + "/data"], directory: directory
                )
                try await Self.waitUntilListening(port, process: process)
                // Read while the server runs: an operator tails the log of a live server, and a line stuck
                // in stdout's buffer until exit would never show them the secret.
                printed.append(try String(contentsOfFile: log, encoding: .utf8))
                kill(process.processIdentifier, SIGTERM)
                try await offThePool { process.waitUntilExit() }
            }
            let secret = try String(contentsOfFile: directory + "/data/secret", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(secret.count == 64)
            #expect(printed[0].contains(secret))
            #expect(!printed[1].contains(secret))
        }
    }

    @Test
    func anEmptySecretIsRefusedWithAClearMessage() async throws {
        try await withTemporaryDirectory { directory in
            let (process, log) = try Self.start(
                ["PROSTAGMA_SECRET": "", "PROSTAGMA_DATA": directory + "/data"], directory: directory)
            try await offThePool { process.waitUntilExit() }
            #expect(process.terminationStatus != 0)
            #expect(try String(contentsOfFile: log, encoding: .utf8).contains("secret is empty"))
        }
    }
}
