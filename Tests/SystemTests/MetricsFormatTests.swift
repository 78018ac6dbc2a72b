import Foundation
import SystemSupport
import Testing

/// `promtool check metrics` accepts the server's and an agent's `/metrics` after real traffic and a run.
@Suite("Metrics exposition")
struct MetricsFormatTests {
    /// Metric names that DESIGN.md prescribes and promtool's linter rejects ("non-histogram and non-summary
    /// metrics should not have \"_count\" suffix"); promtool 2.42 cannot switch that lint off.
    static let designNamesPromtoolLints = ["prostagma_trigger_count", "prostagma_agent_trigger_count"]

    static func promtool(_ text: String, file: URL) async throws -> CommandResult {
        try FileSystem.write(text, to: file)
        return try await Command.run(["promtool", "check", "metrics"], stdin: file)
    }

    /// promtool must accept `text`: exit 0. Its only tolerated complaint is the `_count` lint on a name DESIGN.md
    /// prescribes, recorded as a known issue (see the report of issue 9); any other problem fails the test.
    static func expectPromtoolAccepts(_ text: String, file: URL, what: String) async throws {
        let result = try await promtool(text, file: file)
        let problems = (result.output + result.errorOutput).split(separator: "\n").map(String.init)
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        let designLints = problems.filter { line in
            line.contains("should not have \"_count\" suffix")
                && designNamesPromtoolLints.contains { line.hasPrefix($0 + " ") }
        }
        let others = problems.filter { !designLints.contains($0) }
        #expect(others.isEmpty, "promtool on \(what): \(others.joined(separator: "; "))")
        #expect(result.status == 0 || result.status == 3, "promtool on \(what) exited \(result.status) (1: unparsable)")
        if designLints.isEmpty {
            #expect(result.status == 0, "promtool on \(what): \(problems.joined(separator: "; "))")
        } else {
            withKnownIssue("DESIGN.md's metric names end in _count, which promtool lints: \(designLints)") {
                #expect(result.status == 0)
            }
        }
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
            #expect(serverMetrics.value("prostagma_trigger_count", labels: ["trigger": "metrics"]) == Double(count))
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
