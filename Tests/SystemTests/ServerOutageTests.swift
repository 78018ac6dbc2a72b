import Foundation
import SystemSupport
import Testing

/// The server stopped for 30 s: agents keep running, reconnect by themselves when it returns, run nothing
/// spuriously, and deploy the next trigger.
@Suite("Server outage", .timeLimit(.minutes(10)))
struct ServerOutageTests {
    @Test func agentsReconnectAfterA30SecondOutageWithoutSpuriousRuns() async throws {
        try await SystemHarness.run { harness in
            let server = try await harness.startServer()
            let names = ["edge-1", "edge-2"]
            var started: [AgentProcess] = []
            for name in names {
                let log = harness.path("\(name)/runs.log")
                started.append(
                    try await harness.startAgent(
                        name, server: server, trigger: "site",
                        script: "steps:\n  - shell: echo \"run $PROSTAGMA_COUNT\" >> \(log.path)\n"))
            }
            let agents = started
            let runs: @Sendable (String) -> [String] = { FileSystem.lines(harness.path("\($0)/runs.log")) }
            try await server.waitForWatchers("site", count: 2)
            try await server.trigger("site")
            try await Poll.check("both agents to run count 1", timeout: .seconds(30)) {
                names.allSatisfy { runs($0) == ["run 1"] }
            }

            await server.stop()
            let logLinesBefore = agents.map { FileSystem.lines($0.log).count }
            try await Poll.holds("agents alive and idle while the server is down", for: .seconds(30)) {
                agents.allSatisfy { $0.process?.isRunning == true } && names.allSatisfy { runs($0) == ["run 1"] }
            }
            try await server.restart()
            // Back-off is capped at 30 s (with jitter), so reconnecting may take that long.
            try await server.waitForWatchers("site", count: 2, timeout: .seconds(60))
            #expect(names.allSatisfy { runs($0) == ["run 1"] }, "no run on reconnect")
            for (agent, before) in zip(agents, logLinesBefore) {
                // One line per change of state, not one per failed attempt.
                let added = FileSystem.lines(agent.log).count - before
                #expect(added < 40, "\(agent.name) logged \(added) lines through the outage")
            }

            try await server.trigger("site")
            try await Poll.check("both agents to run count 2", timeout: .seconds(30)) {
                names.allSatisfy { runs($0) == ["run 1", "run 2"] }
            }
            try await Poll.holds("no further run", for: .seconds(2)) {
                names.allSatisfy { runs($0) == ["run 1", "run 2"] }
            }
        }
    }

    @Test func runFinishedWhileTheServerIsDownIsReportedWhenItReturns() async throws {
        try await SystemHarness.run { harness in
            let server = try await harness.startServer()
            let marks = harness.path("machine/marks.log")
            try FileSystem.makeDirectory(marks.deletingLastPathComponent())
            let agent = try await harness.startAgent(
                "late", server: server, trigger: "slow",
                script: """
                    steps:
                      - shell: |
                          echo "start $PROSTAGMA_COUNT" >> \(marks.path)
                          sleep 2
                          echo "end $PROSTAGMA_COUNT" >> \(marks.path)

                    """)
            try await server.waitForWatchers("slow", count: 1)
            let count = try await server.trigger("slow")
            try await Poll.check("the run to start", timeout: .seconds(30), interval: .milliseconds(20)) {
                FileSystem.lines(marks).contains("start \(count)")
            }
            // The server goes away while the step runs, so the run ends with nobody to report to.
            await server.stop()
            try await Poll.check("the run to end", timeout: .seconds(30)) {
                FileSystem.lines(marks).contains("end \(count)")
            }
            // Stay down until the agent has tried to report the run (and found no server).
            try await Poll.check("the agent's attempt to report the run", timeout: .seconds(30)) {
                FileSystem.lines(agent.log).contains { $0.contains("report") && $0.contains("/v1/runs") }
            }
            try await server.restart()
            try await server.waitForWatchers("slow", count: 1, timeout: .seconds(60))
            #expect(FileSystem.lines(marks) == ["start \(count)", "end \(count)"], "the run is not repeated")
            // CI waiting with ?wait= and the status page need that run: it must reach the server once it is back.
            let run = try await server.waitForRun(of: "slow", count: count, timeout: .seconds(10))
            #expect(run.status == "succeeded")
        }
    }
}
