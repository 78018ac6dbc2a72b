import Foundation
import Testing

@testable import AgentCore

/// The real `prostagma-agent` binary with releases, against the stand-in server.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ReleaseProcessTests {
    typealias Agent = AgentProcessTests.Agent

    @Test func aRunKilledWithTheAgentRunsAgainWithTheSameParams() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: AgentProcessTests.binary), "build prostagma-agent first")
        let server = try await StandInServer.start(.v1)
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try await server.control("/_control/set?trigger=app&count=1")
        let script = try dir.write(
            "deploy.yaml",
            """
            steps:
              - shell: |
                  echo $$ > \(dir.file("step.pid"))
                  echo "$PROSTAGMA_COUNT $PROSTAGMA_PARAM_VERSION" >> \(dir.file("runs.log"))
                  sleep 30
            """)
        let env = AgentProcessTests().environment(server, dir: dir, script: script)
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
}
