import Foundation
import ServiceLifecycleTestKit
import Testing

@testable import AgentCore

/// A fetcher that writes fixed bytes and announces a given checksum.
struct FixedFetcher: ArtifactFetching {
    var bytes: [UInt8]
    var announced: String?
    var fail: String?

    func fetch(url: String, cache: Bool, to path: String) async throws -> FetchedArtifact {
        if let fail { throw AgentError.server(fail) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return FetchedArtifact(bytes: Int64(bytes.count), sha256: announced)
    }
}

struct NoExtractor: ArchiveExtracting {
    func extract(src: String, dest: String, overwrite: Bool) async throws -> Int { 0 }
}

func sha256Hex(_ text: String) throws -> String {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    return try FileDigest.sha256Hex(of: try dir.write("x", text))
}

@Suite(.timeLimit(.minutes(5))) struct RunExecutorTests {
    func executor(
        _ script: BuildScript, fetcher: any ArtifactFetching = FixedFetcher(bytes: []),
        extractor: any ArchiveExtracting = NoExtractor(), log: CapturedLog = CapturedLog()
    ) -> RunExecutor {
        RunExecutor(
            shell: "/bin/sh", baseEnvironment: ["PATH": "/usr/bin:/bin"], loadScript: { script },
            fetcher: fetcher, extractor: extractor, logger: log.logger)
    }

    let context = RunContext(trigger: "app", count: 7, epoch: "e1", runID: "run-1", agent: "a1", host: "h1")

    @Test func stepsSeeTheProstagmaVariablesAndScriptEnv() async {
        let script = BuildScript(
            env: ["GREETING": "hi"],
            steps: [Step(.shell("echo \"$GREETING $PROSTAGMA_TRIGGER $PROSTAGMA_COUNT $PROSTAGMA_RUN_ID\""))])
        let log = CapturedLog()
        let report = await executor(script, log: log).run(context)
        #expect(report.status == .succeeded)
        #expect(report.logTail == "hi app 7 run-1\n")
        #expect(log.count(containing: "[app#7 step 1/1 shell] hi app 7 run-1") == 1)
    }

    @Test func theFirstFailingStepFailsTheRunAndLaterStepsAreSkipped() async {
        let script = BuildScript(steps: [
            Step(.shell("echo ok")), Step(.shell("echo bad; exit 4")), Step(.shell("echo never")),
        ])
        let report = await executor(script).run(context)
        #expect(report.status == .failed)
        #expect(report.steps.map(\.status) == [.succeeded, .failed, .skipped])
        #expect(report.steps[1].exitCode == 4)
        #expect(report.steps[1].message == "exit status 4")
        #expect(!(report.logTail ?? "").contains("never"))
        #expect(report.failedStep?.index == 1)
    }

    @Test func aTimedOutStepFails() async {
        let script = BuildScript(steps: [Step(.shell("sleep 30"), timeout: .milliseconds(300))])
        let report = await executor(script).run(context)
        #expect(report.status == .failed)
        #expect(report.steps[0].message?.contains("timed out") == true)
    }

    @Test func anEditedScriptThatNoLongerValidatesFailsTheRunBeforeAnyStep() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("deploy.yaml", "steps:\n  - shell: touch \(dir.file("ran"))\n")
        var e = executor(BuildScript(steps: []))
        e.loadScript = { try ScriptLoader.loadScript(path) }
        #expect(await e.run(context).status == .succeeded)
        try FileManager.default.removeItem(atPath: dir.file("ran"))
        try dir.write("deploy.yaml", "steps:\n  - shell: touch \(dir.file("ran"))\n  - shel: oops\n")
        let report = await e.run(context)
        #expect(report.status == .failed)
        #expect(report.steps.isEmpty)
        #expect((report.logTail ?? "").contains("\(path):3:5: unknown step `shel`"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("ran")), "nothing ran")
    }

    @Test func aReleaseThatCannotBeReadFailsTheRunBeforeAnyStep() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let script = BuildScript(steps: [Step(.shell("touch \(dir.file("ran"))")), Step(.shell("true"))])
        var unreadable = context
        unreadable.releaseProblem = "params.replicas: expected a string"
        let report = await executor(script).run(unreadable)
        #expect(report.status == .failed)
        #expect(report.steps.map(\.status) == [.skipped, .skipped])
        #expect(
            (report.logTail ?? "").contains(
                "\(unreadable.releaseName) cannot be read, so its params are unknown; nothing ran: params.replicas"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("ran")), "nothing ran")
        #expect(await executor(script).run(context).status == .succeeded, "the same script runs with a release")
    }

    @Test func aDownloadIsVerifiedThenRenamedIntoPlaceWithItsMode() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let dest = dir.file("bin/tool")
        let sha = try sha256Hex("payload")
        let script = BuildScript(steps: [
            Step(.download(Download(url: "http://h/tool", dest: dest, sha256: sha, mode: 0o750)))
        ])
        let report = await executor(script, fetcher: FixedFetcher(bytes: Array("payload".utf8), announced: sha)).run(
            context)
        #expect(report.status == .succeeded)
        #expect(try String(contentsOfFile: dest, encoding: .utf8) == "payload")
        let mode = try FileManager.default.attributesOfItem(atPath: dest)[.posixPermissions] as? Int
        #expect(mode == 0o750)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("bin")) == ["tool"])
    }

    @Test(arguments: ["expected", "announced", "transport"])
    func aFailedDownloadLeavesDestUntouched(_ failure: String) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let dest = try dir.write("app.zip", "old contents")
        let good = try sha256Hex("new contents")
        let wrong = String(repeating: "0", count: 64)
        let download = Download(url: "http://h/app.zip", dest: dest, sha256: failure == "expected" ? wrong : good)
        let fetcher = FixedFetcher(
            bytes: Array("new contents".utf8), announced: failure == "announced" ? wrong : nil,
            fail: failure == "transport" ? "HTTP 502" : nil)
        let report = await executor(BuildScript(steps: [Step(.download(download))]), fetcher: fetcher).run(context)
        #expect(report.status == .failed)
        #expect(try String(contentsOfFile: dest, encoding: .utf8) == "old contents")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["app.zip"], "no temporary file left")
        if failure != "transport" { #expect(report.steps[0].message?.contains("SHA-256") == true) }
    }

    @Test func shutdownBetweenStepsCancelsTheRun() async {
        let e = executor(BuildScript(steps: [Step(.shell("echo one")), Step(.shell("echo two"))]))
        let report = await testGracefulShutdown { trigger in
            trigger.triggerGracefulShutdown()
            return await e.run(context)
        }
        #expect(report.status == .cancelled)
        #expect(report.steps.map(\.status) == [.skipped, .skipped])
    }

    @Test func unzipUsesZipReaderAndRefusesEscapingEntries() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.file("src/sub"), withIntermediateDirectories: true)
        try dir.write("src/sub/hello.txt", "hello")
        let zip = Process()
        zip.executableURL = URL(fileURLWithPath: "/usr/bin/zip")
        zip.arguments = ["-q", "-r", dir.file("good.zip"), "sub"]
        zip.currentDirectoryURL = URL(fileURLWithPath: dir.file("src"))
        try zip.run()
        zip.waitUntilExit()
        let script = BuildScript(steps: [Step(.unzip(Unzip(src: dir.file("good.zip"), dest: dir.file("out"))))])
        let report = await executor(script, extractor: ZipExtractor()).run(context)
        #expect(report.status == .succeeded)
        #expect(try String(contentsOfFile: dir.file("out/sub/hello.txt"), encoding: .utf8) == "hello")
        // Again without overwrite: the existing file fails the step.
        let again = await executor(script, extractor: ZipExtractor()).run(context)
        #expect(again.status == .failed)
    }

    @Test func theReportEncodesAsTheRunObjectOfTheAPI() throws {
        let report = RunReport(
            id: "r", agent: "a", host: "h", trigger: "t", count: 1, epoch: nil, status: .failed,
            startedAt: Timestamp.format(Date(timeIntervalSince1970: 0)),
            finishedAt: Timestamp.format(Date(timeIntervalSince1970: 1.25)),
            steps: [.init(index: 0, kind: "shell", status: .failed, durationSeconds: 0.5, exitCode: 2)], logTail: "x\n")
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as! [String: Any]
        #expect(
            Set(json.keys)
                == [
                    "id", "agent", "host", "trigger", "count", "epoch", "status", "started_at", "finished_at", "steps",
                    "log_tail",
                ])
        #expect(json["epoch"] is NSNull)
        #expect(json["started_at"] as? String == "1970-01-01T00:00:00.000Z")
        #expect(json["finished_at"] as? String == "1970-01-01T00:00:01.250Z")
        let step = (json["steps"] as! [[String: Any]])[0]
        #expect(Set(step.keys) == ["index", "kind", "status", "duration_seconds", "exit_code", "message"])
        #expect(step["message"] is NSNull)
    }

    @Test func theLogTailIsBounded() {
        let tail = LogTail(limit: 100)
        for i in 0..<50 { tail.append("line \(i)") }
        #expect(tail.text.utf8.count <= 100)
        #expect(tail.text.hasSuffix("line 49\n"))
        #expect(tail.truncated)
    }
}
