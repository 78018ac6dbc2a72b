import Foundation
import Synchronization
import Testing

@testable import AgentCore

/// The real `prostagma-agent` binary (built by `swift test` beside the tests) against the stand-in server.
@Suite(.serialized, .timeLimit(.minutes(5))) struct AgentProcessTests {
    static var binary: String {
        let bin = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
        for candidate in [
            Bundle.main.bundleURL.appendingPathComponent("prostagma-agent").path,
            bin.appendingPathComponent("prostagma-agent").path,
            RepoPaths.agentPackage + "/.build/debug/prostagma-agent",
        ] where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return RepoPaths.agentPackage + "/.build/debug/prostagma-agent"
    }

    /// A running agent process.
    final class Agent: Sendable {
        let pids = Collector<Int32>()
        let lines = Collector<String>()
        let task: Task<ProcessResult, any Error>

        init(environment: [String: String], arguments: [String] = []) {
            var process = StepProcess(
                executable: AgentProcessTests.binary, arguments: arguments, environment: environment)
            let pids = self.pids
            let lines = self.lines
            process.onSpawn = { pids.append($0) }
            task = Task { try await process.run { lines.append($0) } }
        }

        func waitForLog(_ text: String, timeout: Duration = .seconds(20)) async throws {
            let clock = ContinuousClock()
            let deadline = clock.now + timeout
            while clock.now < deadline {
                if lines.all.contains(where: { $0.contains(text) }) { return }
                try await Task.sleep(for: .milliseconds(50))
            }
            let log = lines.all.joined(separator: "\n")
            Issue.record("the agent never logged \"\(text)\"; log:\n\(log)")
            throw AgentError.io("timeout")
        }

        /// SIGTERM to the agent's process and wait for its exit.
        func terminate() async throws -> ProcessResult {
            let p = pids.all.last ?? 0
            kill(p, SIGTERM)
            return try await task.value
        }

        func kill9() async {
            let p = pids.all.last ?? 0
            kill(p, SIGKILL)
            _ = try? await task.value
        }
    }

    static func waitFor(_ timeout: Duration = .seconds(20), _ condition: () throws -> Bool) async throws -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if (try? condition()) == true { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    func environment(_ server: StandInServer, dir: TemporaryDirectory, script: String) -> [String: String] {
        [
            "PATH": "/usr/local/bin:/usr/bin:/bin", "PROSTAGMA_HOST": server.url,
            "PROSTAGMA_SECRET": StandInServer.secret,
            "PROSTAGMA_TRIGGER": "app", "PROSTAGMA_SCRIPT": script, "PROSTAGMA_STATE": dir.file("state"),
            "PROSTAGMA_AGENT_NAME": "test-agent", "PROSTAGMA_GRACE": "500ms", "PROSTAGMA_POLL_INTERVAL": "200ms",
        ]
    }

    /// What a test of a watching agent starts from: a stand-in v1 server where `app` is at count 1, a temporary
    /// directory holding `deploy.yaml` with the text `script` makes for that directory, and the agent's environment
    /// for both. The caller removes the directory and shuts the server down.
    static func watchedApp(script: (TemporaryDirectory) -> String) async throws
        -> (server: StandInServer, dir: TemporaryDirectory, env: [String: String])
    {
        #expect(FileManager.default.isExecutableFile(atPath: binary), "build prostagma-agent first")
        let server = try await StandInServer.start(.v1)
        let dir = try TemporaryDirectory()
        try await server.control("/_control/set?trigger=app&count=1")
        let path = try dir.write("deploy.yaml", script(dir))
        return (server, dir, AgentProcessTests().environment(server, dir: dir, script: path))
    }

    @Test func aDeployKilledWithTheAgentRunsAgainAfterRestart() async throws {
        let (server, dir, env) = try await Self.watchedApp { dir in
            "steps:\n  - shell: |\n      echo $$ > \(dir.file("step.pid"))\n      echo \"$PROSTAGMA_COUNT\" >> \(dir.file("runs.log"))\n      sleep 30\n"
        }
        defer { dir.remove() }
        let first = Agent(environment: env)
        try await first.waitForLog("first start: adopting count 1")
        #expect(try await Self.waitFor { try StateStore(directory: dir.file("state")).load("app")?.count == 1 })

        try await server.control("/_control/set?trigger=app&count=2")
        #expect(try await Self.waitFor { FileManager.default.fileExists(atPath: dir.file("step.pid")) })
        await first.kill9()
        // The step's process group outlives the agent (kill -9 gives no chance to clean up): end it here.
        if let stepPID = Int32(
            try String(contentsOfFile: dir.file("step.pid"), encoding: .utf8).trimmingCharacters(
                in: .whitespacesAndNewlines))
        {
            kill(-stepPID, SIGKILL)
        }
        #expect(try StateStore(directory: dir.file("state")).load("app")?.count == 1, "not marked handled")

        try dir.write("deploy.yaml", "steps:\n  - shell: echo \"$PROSTAGMA_COUNT\" >> \(dir.file("runs.log"))\n")
        let second = Agent(environment: env)
        #expect(
            try await Self.waitFor {
                try StateStore(directory: dir.file("state")).load("app")?.count == 2
            })
        #expect(try String(contentsOfFile: dir.file("runs.log"), encoding: .utf8) == "2\n2\n")
        var runs: [[String: Any]] = []
        #expect(
            try await eventually {
                runs = try await server.runs()
                return !runs.isEmpty
            })
        #expect(runs.count == 1)
        #expect(runs.first?["status"] as? String == "succeeded")
        #expect(runs.first?["count"] as? Int == 2)
        #expect(runs.first?["agent"] as? String == "test-agent")
        let result = try await second.terminate()
        #expect(result.exitCode == 0)
        await server.shutdown()
    }

    @Test func sigtermCancelsTheRunningStepAfterTheGraceAndDoesNotMarkIt() async throws {
        let server = try await StandInServer.start(.v1)
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try StateStore(directory: dir.file("state")).save(HandledState(trigger: "app", epoch: nil, count: 0))
        try await server.control("/_control/set?trigger=app&count=1")
        let script = try dir.write(
            "deploy.yaml", "steps:\n  - shell: touch \(dir.file("started")); sleep 30\n  - shell: echo never\n")
        let agent = Agent(environment: environment(server, dir: dir, script: script))
        #expect(try await Self.waitFor { FileManager.default.fileExists(atPath: dir.file("started")) })
        let clock = ContinuousClock()
        let start = clock.now
        let result = try await agent.terminate()
        #expect(result.exitCode == 0)
        #expect(clock.now - start < .seconds(10))
        let runs = try await server.runs()
        #expect(runs.first?["status"] as? String == "cancelled")
        let steps = runs.first?["steps"] as? [[String: Any]]
        #expect(steps?.map { $0["status"] as? String } == ["cancelled", "skipped"])
        #expect(try StateStore(directory: dir.file("state")).load("app")?.count == 0)
        await server.shutdown()
    }

    @Test func anInvalidScriptStopsTheAgentBeforeAnythingRuns() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let script = try dir.write("deploy.yaml", "steps:\n  - shell: echo hi\n    timeout: soon\n")
        let agent = Agent(environment: [
            "PROSTAGMA_HOST": "http://127.0.0.1:9", "PROSTAGMA_SECRET": "s", "PROSTAGMA_TRIGGER": "app",
            "PROSTAGMA_SCRIPT": script, "PROSTAGMA_STATE": dir.file("state"),
        ])
        let result = try await agent.task.value
        #expect(result.exitCode != 0)
        #expect(agent.lines.all.contains { $0.contains("\(script):3:5: `timeout: soon` is not a duration") })
        #expect(!FileManager.default.fileExists(atPath: dir.file("state")))
    }

    @Test func runOncePrintsTheStepsAndFailsWithTheScript() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let script = try dir.write("deploy.yaml", "steps:\n  - shell: echo hello\n  - shell: exit 3\n")
        let agent = Agent(
            environment: ["PROSTAGMA_SCRIPT": script, "PATH": "/usr/bin:/bin"], arguments: ["run", "--once"])
        let result = try await agent.task.value
        #expect(result.exitCode == 1)
        #expect(agent.lines.all.contains { $0.hasPrefix("step 1 shell: succeeded") })
        #expect(agent.lines.all.contains { $0.hasPrefix("step 2 shell: failed") && $0.contains("exit status 3") })
        #expect(agent.lines.all.contains { $0.hasPrefix("run ") && $0.hasSuffix(": failed") })
    }

    /// `run --once` stops on SIGTERM as `watch` does: the running step gets the grace period, then it is stopped,
    /// later steps are skipped and the run is cancelled (exit 1, as for any run that did not succeed).
    @Test func sigtermStopsRunOnceAfterTheGrace() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let script = try dir.write(
            "deploy.yaml", "steps:\n  - shell: touch \(dir.file("started")); sleep 30\n  - shell: echo never\n")
        let agent = Agent(
            environment: ["PROSTAGMA_SCRIPT": script, "PATH": "/usr/bin:/bin", "PROSTAGMA_GRACE": "500ms"],
            arguments: ["run", "--once"])
        #expect(try await Self.waitFor { FileManager.default.fileExists(atPath: dir.file("started")) })
        let clock = ContinuousClock()
        let start = clock.now
        let result = try await agent.terminate()
        #expect(result.exitCode == 1)
        #expect(clock.now - start < .seconds(10))
        #expect(agent.lines.all.contains { $0.hasPrefix("step 1 shell: cancelled") })
        #expect(agent.lines.all.contains("step 2 shell: skipped"))
        #expect(agent.lines.all.contains { $0.hasPrefix("run ") && $0.hasSuffix(": cancelled") })
        #expect(!agent.lines.all.contains("never"))
    }

    @Test func triggerFallsBackToTheOriginalServer() async throws {
        let server = try await StandInServer.start(.original)
        let agent = Agent(
            environment: ["PROSTAGMA_HOST": server.url, "PROSTAGMA_SECRET": StandInServer.secret],
            arguments: ["trigger", "deploy-me"])
        let result = try await agent.task.value
        #expect(result.exitCode == 0)
        #expect(agent.lines.all.contains("deploy-me: incremented to 1 (original server: cannot wait)"))
        await server.shutdown()
    }
}
