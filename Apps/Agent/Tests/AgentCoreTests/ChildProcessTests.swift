import Foundation
import Testing

@testable import AgentCore

@Suite(.timeLimit(.minutes(5))) struct ChildProcessTests {
    func shell(_ script: String, env: [String: String] = [:]) -> ChildProcess {
        var environment = ["PATH": "/usr/local/bin:/usr/bin:/bin"]
        for (k, v) in env { environment[k] = v }
        var process = ChildProcess(executable: "/bin/sh", arguments: ["-e", "-c", script], environment: environment)
        process.killAfter = .seconds(1)
        return process
    }

    @Test func streamsStdoutAndStderrLineByLine() async throws {
        let lines = Collector<String>()
        let result = try await shell("echo one; echo two >&2; printf 'three\\nfour'").run { lines.append($0) }
        #expect(result.succeeded)
        #expect(Set(lines.all) == ["one", "two", "three", "four"])
        #expect(lines.all.count == 4)
    }

    @Test(arguments: [("exit 0", Int32(0)), ("exit 3", 3), ("false", 1), ("sh -c 'exit 42'", 42)])
    func reportsExitStatus(_ script: String, _ code: Int32) async throws {
        let result = try await shell(script).run { _ in }
        #expect(result.exitCode == code)
        #expect(result.succeeded == (code == 0))
    }

    @Test func minusEStopsAtTheFirstFailingCommand() async throws {
        let lines = Collector<String>()
        let result = try await shell("echo before\nfalse\necho after").run { lines.append($0) }
        #expect(result.exitCode == 1)
        #expect(lines.all == ["before"])
    }

    @Test func cdAndVariablesCarryOverWithinAStep() async throws {
        let lines = Collector<String>()
        let result = try await shell("cd /tmp\nX=hello\necho \"$X $(pwd)\"").run { lines.append($0) }
        #expect(result.succeeded)
        #expect(lines.all == ["hello /tmp"])
    }

    @Test func seesTheGivenEnvironmentOnly() async throws {
        let lines = Collector<String>()
        _ = try await shell("echo \"$PROSTAGMA_COUNT:${HOME:-unset}\"", env: ["PROSTAGMA_COUNT": "7"]).run {
            lines.append($0)
        }
        #expect(lines.all == ["7:unset"])
    }

    @Test func runsInItsOwnProcessGroup() async throws {
        let lines = Collector<String>()
        _ = try await shell("ps -o pgid= -p $$; echo $$").run { lines.append($0.trimmingCharacters(in: .whitespaces)) }
        #expect(lines.all.count == 2)
        #expect(lines.all[0] == lines.all[1])
        #expect(lines.all[0] != String(getpgrp()))
    }

    @Test func timeoutKillsTheWholeGroupIncludingGrandchildren() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let pidFile = dir.file("grandchild.pid")
        let clock = ContinuousClock()
        let start = clock.now
        let result = try await shell("sh -c 'trap \"\" TERM; sleep 300' &\necho $! > \(pidFile)\nsleep 300").run(
            timeout: .milliseconds(500)
        ) { _ in }
        #expect(result.timedOut)
        #expect(!result.succeeded)
        #expect(clock.now - start < .seconds(30))
        let pid = try #require(
            pid_t(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        // The grandchild ignored SIGTERM: only the SIGKILL that followed can have ended it.
        #expect(try await eventually(timeout: .seconds(5)) { processIsGone(pid) })
    }

    @Test func shutdownGivesAGracePeriodThenStops() async throws {
        let stop = StopSignal()
        let lines = Collector<String>()
        async let result = shell("echo started; sleep 300").run(shutdown: stop, grace: .milliseconds(300)) {
            lines.append($0)
        }
        #expect(try await eventually { lines.all.contains("started") })
        stop.fire()
        let outcome = try await result
        #expect(outcome.cancelled)
        #expect(outcome.signal == SIGTERM)
        #expect(lines.all == ["started"])
    }

    @Test func aStepThatFinishesWithinTheGraceIsNotCancelled() async throws {
        let stop = StopSignal()
        let lines = Collector<String>()
        async let result = shell("echo started; sleep 0.3; echo done").run(shutdown: stop, grace: .seconds(5)) {
            lines.append($0)
        }
        #expect(try await eventually { lines.all.contains("started") })
        stop.fire()
        let outcome = try await result
        #expect(outcome.succeeded)
        #expect(!outcome.cancelled)
        #expect(lines.all == ["started", "done"])
    }

    @Test func aBackgroundDaemonDoesNotHoldTheStepOpen() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let clock = ContinuousClock()
        let start = clock.now
        let result = try await shell("sleep 5 &\necho $! > \(dir.file("pid"))\necho launched").run { _ in }
        #expect(result.succeeded)
        #expect(clock.now - start < .seconds(4))
        if let pid = pid_t(
            (try? String(contentsOfFile: dir.file("pid"), encoding: .utf8))?.trimmingCharacters(
                in: .whitespacesAndNewlines) ?? "")
        {
            kill(pid, SIGKILL)
        }
    }

    @Test func aMissingShellIsAnError() async {
        await #expect(throws: AgentError.self) {
            try await ChildProcess(executable: "/no/such/shell", arguments: [], environment: [:]).run { _ in }
        }
    }
}
