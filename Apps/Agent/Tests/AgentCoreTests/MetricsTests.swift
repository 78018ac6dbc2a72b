import Foundation
import ServiceLifecycleTestKit
import Synchronization
import Testing

@testable import AgentCore

@Suite(.serialized, .timeLimit(.minutes(5))) struct MetricsTests {
    @Test func theAgentServesPromtoolCleanMetricsOfARun() async throws {
        let server = try await StandInServer.start(.v1)
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try StateStore(directory: dir.file("state")).save(HandledState(trigger: "app", epoch: nil, count: 0))
        try await server.control("/_control/set?trigger=app&count=3")
        let script = try dir.write("deploy.yaml", "steps:\n  - shell: echo deployed\n")
        let transport = try ClientTransport(caFile: nil)
        let log = CapturedLog()
        var runtime = AgentRuntime(
            configuration: WatchConfiguration(
                server: server.url, secret: StandInServer.secret, promPort: 0,
                watches: [.init(trigger: "app", script: script)], stateDirectory: dir.file("state"), agentName: "m",
                host: "h", pollInterval: .milliseconds(200)),
            transport: transport, extractor: NoExtractor(), logger: log.logger)
        runtime.trapSignals = false
        let port = Mutex<Int?>(nil)
        runtime.onMetricsListening = { p in port.withLock { $0 = p } }
        let agent = runtime
        let text = try await testGracefulShutdown { trigger in
            async let running: Void = agent.run()
            var text = ""
            _ = try await eventually {
                guard let p = port.withLock({ $0 }) else { return false }
                let response = try await transport.send(
                    method: "GET", url: "http://127.0.0.1:\(p)/metrics", headers: [], body: nil, timeout: .seconds(5))
                text = String(decoding: response.body, as: UTF8.self)
                return text.contains("prostagma_agent_runs_total{trigger=\"app\",result=\"succeeded\"} 1")
            }
            trigger.triggerGracefulShutdown()
            try await running
            return text
        }
        try? await transport.shutdown()
        await server.shutdown()

        #expect(text.contains("prostagma_agent_runs_total{trigger=\"app\",result=\"succeeded\"} 1"), "\(text)")
        #expect(text.contains("prostagma_agent_trigger_count_current{trigger=\"app\"} 3"))
        #expect(text.contains("prostagma_agent_run_duration_seconds_count{trigger=\"app\"} 1"))
        #expect(text.contains("prostagma_agent_last_run_timestamp_seconds{trigger=\"app\",result=\"succeeded\"}"))
        #expect(text.contains("prostagma_agent_poll_errors_total 0"))
        #expect(text.contains("prostagma_agent_download_bytes_total 0"))
        #expect(text.contains("process_resident_memory_bytes"))

        let promtool = Process()
        promtool.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
        promtool.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        promtool.standardInput = input
        promtool.standardOutput = output
        promtool.standardError = output
        try promtool.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        promtool.waitUntilExit()
        // Clean means exit 0 and not a word: promtool exits 1 on a parse error and 3 on a lint remark.
        #expect(promtool.terminationStatus == 0, "promtool: \(said)")
        #expect(said.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool: \(said)")
    }

    /// A metrics port that is taken used to fail inside a task nobody awaited until the agent stopped: no
    /// endpoint, no word. Now the agent refuses to start and names the port.
    @Test func aMetricsPortInUseIsAnErrorAtStartNamingThePort() async throws {
        let taken = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(taken >= 0)
        defer { close(taken) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = INADDR_ANY
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(taken, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(bound == 0 && listen(taken, 1) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(taken, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))

        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let script = try dir.write("deploy.yaml", "steps:\n  - shell: echo deployed\n")
        let transport = try ClientTransport(caFile: nil)
        var runtime = AgentRuntime(
            configuration: WatchConfiguration(
                server: "http://127.0.0.1:9", secret: "s", promPort: port,
                watches: [.init(trigger: "app", script: script)], stateDirectory: dir.file("state"), agentName: "m",
                host: "h", pollInterval: .milliseconds(200)),
            transport: transport, extractor: NoExtractor(), logger: CapturedLog().logger)
        runtime.trapSignals = false
        // The task inherits the graceful-shutdown context, which stops the agent if it keeps running.
        let (ended, result) = try await testGracefulShutdown { trigger in
            let outcome = Mutex<Result<Void, any Error>?>(nil)
            let running = Task { [runtime] in
                let result = await Result { try await runtime.run() }
                outcome.withLock { $0 = result }
            }
            let ended = try await eventually(timeout: .seconds(10)) { outcome.withLock { $0 } != nil }
            if !ended { trigger.triggerGracefulShutdown() }
            await running.value
            return (ended, outcome.withLock { $0 })
        }
        try? await transport.shutdown()
        #expect(ended, "the agent kept running without its metrics endpoint")
        guard case .failure(let error) = result else {
            Issue.record("the agent did not fail")
            return
        }
        #expect("\(error)".contains("port \(port)"), "\(error)")
    }
}
