import Foundation
import Testing

@testable import AgentCore

/// The real `prostagma-agent` binary with releases, against the stand-in server.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ReleaseProcessTests {
    typealias Agent = AgentProcessTests.Agent

    @Test func aRunKilledWithTheAgentRunsAgainWithTheSameParams() async throws {
        let (server, dir, env) = try await AgentProcessTests.watchedApp { dir in
            """
            steps:
              - shell: |
                  echo $$ > \(dir.file("step.pid"))
                  echo "$PROSTAGMA_COUNT $PROSTAGMA_PARAM_VERSION" >> \(dir.file("runs.log"))
                  sleep 30
            """
        }
        defer { dir.remove() }
        let first = Agent(environment: env)
        try await first.waitForLog("first start: adopting count 1")
        try await server.control("/_control/set?trigger=app&count=2", body: Array(#"{"version": "1.4.2"}"#.utf8))
        #expect(try await AgentProcessTests.waitFor { FileManager.default.fileExists(atPath: dir.file("step.pid")) })
        await first.kill9()
        if let stepPID = Int32(
            try String(contentsOfFile: dir.file("step.pid"), encoding: .utf8).trimmingCharacters(
                in: .whitespacesAndNewlines))
        {
            kill(-stepPID, SIGKILL)
        }
        let kept = try StateStore(directory: dir.file("state")).load("app")
        #expect(kept?.count == 1, "not marked handled")
        #expect(kept?.running?.params == ["version": "1.4.2"], "the release of the run in progress is kept")

        // The server comes back without the release (it lost it, or is an older one): the kept params are used.
        try await server.control("/_control/forget_releases")
        try dir.write(
            "deploy.yaml",
            "steps:\n  - shell: echo \"$PROSTAGMA_COUNT $PROSTAGMA_PARAM_VERSION\" >> \(dir.file("runs.log"))\n")
        let second = Agent(environment: env)
        #expect(
            try await AgentProcessTests.waitFor {
                try StateStore(directory: dir.file("state")).load("app")?.count == 2
            })
        #expect(try String(contentsOfFile: dir.file("runs.log"), encoding: .utf8) == "2 1.4.2\n2 1.4.2\n")
        #expect(try StateStore(directory: dir.file("state")).load("app")?.running == nil)
        let result = try await second.terminate()
        #expect(result.exitCode == 0)
        await server.shutdown()
    }

    @Test func triggerWithParamsPrintsTheReleaseAndRollbackGoesBack() async throws {
        let server = try await StandInServer.start(.v1)
        let env = ["PROSTAGMA_HOST": server.url, "PROSTAGMA_SECRET": StandInServer.secret]
        for version in ["1.4.1", "1.4.2"] {
            let agent = Agent(environment: env, arguments: ["trigger", "web", "--param", "version=\(version)"])
            #expect(try await agent.task.value.exitCode == 0)
            #expect(agent.lines.all.last?.hasSuffix("(version=\(version))") == true, "got: \(agent.lines.all)")
        }
        let back = Agent(environment: env, arguments: ["rollback", "web", "--to", "previous", "--note", "bad"])
        #expect(try await back.task.value.exitCode == 0)
        #expect(back.lines.all.contains("web: rolled back to release 1 as count 3 (version=1.4.1)"))
        let missing = Agent(environment: env, arguments: ["rollback", "web", "--to", "42"])
        #expect(try await missing.task.value.exitCode == 3)
        #expect(missing.lines.all.contains { $0.contains("422") && $0.contains("has no release 42") })
        await server.shutdown()
    }

    @Test func badParamsAndTheOriginalServerFailClearlyAndSendNothing() async throws {
        let server = try await StandInServer.start(.original)
        let env = ["PROSTAGMA_HOST": server.url, "PROSTAGMA_SECRET": StandInServer.secret]
        let bad = Agent(environment: env, arguments: ["trigger", "web", "--param", "1x=a"])
        #expect(try await bad.task.value.exitCode == 64)
        #expect(bad.lines.all.contains { $0.contains("params.\"1x\"") })
        let original = Agent(environment: env, arguments: ["trigger", "web", "--param", "version=1.4.2"])
        #expect(try await original.task.value.exitCode == 3)
        #expect(original.lines.all.contains { $0.contains("need a Prostagma v1 server with releases") })
        let rollback = Agent(environment: env, arguments: ["rollback", "web", "--to", "previous"])
        #expect(try await rollback.task.value.exitCode == 3)
        #expect(rollback.lines.all.contains { $0.contains("rollback needs a Prostagma v1 server") })
        let paths = try await server.requests().map { "\($0["method"]!) \($0["path"]!)" }
        #expect(paths == ["POST /v1/triggers/web", "POST /v1/triggers/web/rollback"], "nothing was incremented")
        await server.shutdown()
    }

    /// A release the agent cannot read (here a number where it knows only strings, as a newer server might send)
    /// fails that count's run, reported to the server with the reason, and runs nothing; the next count runs. Before,
    /// every long poll failed on it, so the agent stopped following the trigger and CI waited for a report that never
    /// came.
    @Test func anUnreadableReleaseFailsItsRunAndTheNextCountStillRuns() async throws {
        let (server, dir, env) = try await AgentProcessTests.watchedApp { dir in
            "steps:\n  - shell: echo \"$PROSTAGMA_COUNT $PROSTAGMA_PARAM_VERSION\" >> \(dir.file("runs.log"))\n"
        }
        defer { dir.remove() }
        let agent = Agent(environment: env)
        try await agent.waitForLog("first start: adopting count 1")
        try await server.control("/_control/set?trigger=app&count=2", body: Array(#"{"replicas": 3}"#.utf8))
        try await agent.waitForLog("release 2 of `app` cannot be read")
        try await server.control("/_control/set?trigger=app&count=3", body: Array(#"{"version": "1.4.3"}"#.utf8))
        #expect(
            try await AgentProcessTests.waitFor {
                try StateStore(directory: dir.file("state")).load("app")?.count == 3
            })
        #expect(try String(contentsOfFile: dir.file("runs.log"), encoding: .utf8) == "3 1.4.3\n", "count 2 ran nothing")
        // Both runs reach the server: count 2 failed, saying why; count 3 succeeded.
        let deadline = ContinuousClock.now + .seconds(20)
        var reports: [RunReport] = []
        while ContinuousClock.now < deadline {
            reports = try await server.requests().filter {
                $0["method"] as? String == "POST" && $0["path"] as? String == "/v1/runs"
            }
            .compactMap {
                ($0["body"] as? String).flatMap { try? JSONDecoder().decode(RunReport.self, from: Data($0.utf8)) }
            }
            if reports.count >= 2 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(reports.map(\.count) == [2, 3])
        #expect(reports.map(\.status) == [.failed, .succeeded])
        let tail = reports.first?.logTail ?? ""
        #expect(
            tail.contains("release 2 of `app` cannot be read, so its params are unknown; nothing ran"), "got: \(tail)")
        #expect(tail.contains("replicas"), "the reason names the field: \(tail)")
        #expect(reports.first?.steps.map(\.status) == [.skipped])
        let result = try await agent.terminate()
        #expect(result.exitCode == 0)
        await server.shutdown()
    }
}
