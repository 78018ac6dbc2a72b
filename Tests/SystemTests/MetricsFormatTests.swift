import Foundation
import SystemSupport
import Testing

/// `promtool check metrics` accepts the server's and an agent's `/metrics` after real traffic and a run.
@Suite("Metrics exposition", .timeLimit(.minutes(10)))
struct MetricsFormatTests {
    /// promtool must accept `text` without a remark: exit 0 (1 is unparsable, 3 a lint problem) and no output.
    static func expectPromtoolAccepts(_ text: String, file: URL, what: String) async throws {
        try FileSystem.write(text, to: file)
        let result = try await Command.run(["promtool", "check", "metrics"], stdin: file)
        let remarks = (result.output + result.errorOutput).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(result.status == 0, "promtool on \(what) exited \(result.status): \(remarks)")
        #expect(remarks.isEmpty, "promtool on \(what): \(remarks)")
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
            try await Self.expectPromtoolAccepts(
                serverMetrics.text, file: harness.path("server.metrics"), what: "the server")
            #expect(
                serverMetrics.value("prostagma_trigger_count_current", labels: ["trigger": "metrics"]) == Double(count))
            #expect(serverMetrics.value("process_resident_memory_bytes").map { $0 > 0 } == true)

            let agentMetrics = try await Poll.until("the agent to count its run", timeout: .seconds(10)) {
                let metrics = try await agent.metrics()
                return metrics.value(
                    "prostagma_agent_runs_total", labels: ["trigger": "metrics", "result": "succeeded"])
                    == 1 ? metrics : nil
            }
            try await Self.expectPromtoolAccepts(
                agentMetrics.text, file: harness.path("agent.metrics"), what: "the agent")
            #expect(agentMetrics.value("process_resident_memory_bytes").map { $0 > 0 } == true)
        }
    }
}
