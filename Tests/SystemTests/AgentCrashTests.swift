import Foundation
import ProstagmaProtocol
import SystemSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `kill -9` of an agent in the middle of a run: the run was not marked handled, so after the restart it runs
/// once more, and only once.
@Suite("Agent crash mid-run", .timeLimit(.minutes(10)))
struct AgentCrashTests {
    @Test func agentKilledMidRunRunsTheDeployOnceMoreAfterRestart() async throws {
        try await SystemHarness.run { harness in
            let server = try await harness.startServer()
            let marks = harness.path("machine/marks.log")
            try FileSystem.makeDirectory(marks.deletingLastPathComponent())
            let agent = try await harness.startAgent(
                "worker", server: server, trigger: "job",
                script: """
                    steps:
                      - shell: |
                          echo "start $PROSTAGMA_COUNT $$" >> \(marks.path)
                          sleep 3
                          echo "end $PROSTAGMA_COUNT" >> \(marks.path)

                    """)
            try await server.waitForWatchers("job", count: 1)
            let count = try await server.trigger("job")
            let pid = try await Poll.until("the run to start", timeout: .seconds(30), interval: .milliseconds(20)) {
                FileSystem.lines(marks).first.flatMap { $0.split(separator: " ").last.flatMap { pid_t($0) } }
            }

            // Power loss: the agent and everything it started die at once.
            let stepGroup = getpgid(pid)
            await agent.kill9()
            if stepGroup > 0, stepGroup != getpgrp() { kill(-stepGroup, SIGKILL) }
            try #require(FileSystem.lines(marks) == ["start \(count) \(pid)"], "the first run did not finish")

            try await agent.start()
            let run = try await server.waitForRun(of: "job", count: count, agent: "worker", timeout: .seconds(30))
            #expect(run.status == "succeeded")
            try await Poll.check("the second run to end", timeout: .seconds(30)) {
                FileSystem.lines(marks).contains("end \(count)")
            }
            // Once more, and only once: no third start while we watch.
            try await Poll.holds("exactly two starts and one end", for: .seconds(4)) {
                let lines = FileSystem.lines(marks)
                return lines.filter { $0.hasPrefix("start \(count) ") }.count == 2 && lines.count == 3
            }
            let reported = try await server.runs(of: "job").filter {
                $0.count == Int64(count) && $0.status == "succeeded"
            }
            #expect(reported.count == 1)
        }
    }
}
