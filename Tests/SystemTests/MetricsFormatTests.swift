import Foundation
import SystemSupport
import Testing

/// `promtool check metrics` accepts the server's and an agent's `/metrics` after real traffic and a run.
@Suite("Metrics exposition")
struct MetricsFormatTests {
    static func promtool(_ text: String, file: URL) async throws -> CommandResult {
        try FileSystem.write(text, to: file)
        return try await Command.run(["promtool", "check", "metrics"], stdin: file)
    }

    @Test func promtoolAcceptsServerAndAgentMetrics() async throws {
        try await SystemHarness.run { harness in
            let server = try await harness.startServer()
            let agent = try await harness.startAgent(
                "metered", server: server, trigger: "metrics", script: "steps:\n  - shell: \"true\"\n")
            try await server.waitForWatchers("metrics", count: 1)
            let count = try await server.trigger("metrics")
            let run = try await server.waitForRun(of: "metrics", count: count)
            #expect(run.status == "succeeded")
            _ = try await HTTP.get(server.baseURL + "/v1/triggers/missing-auth")  // a 401 in the request counters

            let serverMetrics = try await server.metrics()
            let serverCheck = try await Self.promtool(serverMetrics.text, file: harness.path("server.metrics"))
            #expect(serverCheck.status == 0, "promtool on the server: \(serverCheck.output)\(serverCheck.errorOutput)")
            #expect(serverMetrics.value("prostagma_trigger_count", labels: ["trigger": "metrics"]) == Double(count))
            #expect(serverMetrics.value("process_resident_memory_bytes").map { $0 > 0 } == true)

            let agentMetrics = try await Poll.until("the agent to count its run", timeout: .seconds(10)) {
                let metrics = try await agent.metrics()
                return metrics.value(
                    "prostagma_agent_runs_total", labels: ["trigger": "metrics", "result": "succeeded"])
                    == 1 ? metrics : nil
            }
            let agentCheck = try await Self.promtool(agentMetrics.text, file: harness.path("agent.metrics"))
            #expect(agentCheck.status == 0, "promtool on the agent: \(agentCheck.output)\(agentCheck.errorOutput)")
            #expect(agentMetrics.value("process_resident_memory_bytes").map { $0 > 0 } == true)
        }
    }
}
