import Foundation
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
        let running = Task { [runtime] in try await runtime.run() }

        var text = ""
        _ = try await eventually {
            guard let p = port.withLock({ $0 }) else { return false }
            let response = try await transport.send(
                method: "GET", url: "http://127.0.0.1:\(p)/metrics", headers: [], body: nil, timeout: .seconds(5))
            text = String(decoding: response.body, as: UTF8.self)
            return text.contains("prostagma_agent_runs_total{trigger=\"app\",result=\"succeeded\"} 1")
        }
        runtime.stop.fire()
        try await running.value
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
}
