import Foundation
import Testing

@testable import AgentCore

/// A fetcher that records the URLs it was asked for.
final class RecordingFetcher: ArtifactFetching {
    let urls = Collector<String>()
    func fetch(url: String, cache: Bool, to path: String) async throws -> FetchedArtifact {
        urls.append(url)
        try Data("bytes of \(url)".utf8).write(to: URL(fileURLWithPath: path))
        return FetchedArtifact(bytes: 0, sha256: nil)
    }
}

@Suite(.timeLimit(.minutes(2))) struct RunWithParamsTests {
    func executor(
        loadScript: @escaping @Sendable () throws -> BuildScript, fetcher: any ArtifactFetching,
        log: CapturedLog = CapturedLog()
    ) -> RunExecutor {
        RunExecutor(
            shell: "/bin/sh",
            baseEnvironment: ["PATH": "/usr/bin:/bin", "PROSTAGMA_PARAM_STALE": "from the agent's environment"],
            loadScript: loadScript, fetcher: fetcher, extractor: NoExtractor(), logger: log.logger)
    }

    func context(_ params: [String: String]) -> RunContext {
        RunContext(trigger: "web", count: 9, epoch: "e1", runID: "run-9", agent: "a", host: "h", params: params)
    }

    @Test func shellStepsSeeEachParamAsAnEnvironmentVariable() async {
        let script = BuildScript(steps: [
            Step(.shell("echo \"$PROSTAGMA_COUNT $PROSTAGMA_PARAM_VERSION $PROSTAGMA_PARAM_ARTIFACT_URL\"")),
            Step(.shell("env | grep '^PROSTAGMA_PARAM_' | sort")),
        ])
        let report = await executor(loadScript: { script }, fetcher: RecordingFetcher()).run(
            context(["version": "1.4.2", "artifact_url": "s3://b/app 1.4.2.zip"]))
        #expect(report.status == .succeeded)
        #expect(
            report.logTail
                == "9 1.4.2 s3://b/app 1.4.2.zip\nPROSTAGMA_PARAM_ARTIFACT_URL=s3://b/app 1.4.2.zip\n"
                + "PROSTAGMA_PARAM_VERSION=1.4.2\n",
            "the agent's own PROSTAGMA_PARAM_* is not passed on")
    }

    @Test func aParamWithAnInvalidNameIsLeftOutWithAWarning() async {
        let script = BuildScript(steps: [Step(.shell("env | grep '^PROSTAGMA_PARAM_' | sort"))])
        let log = CapturedLog()
        let report = await executor(loadScript: { script }, fetcher: RecordingFetcher(), log: log).run(
            context(["ok": "1", "bad-name": "2"]))
        #expect(report.status == .succeeded)
        #expect(report.logTail == "PROSTAGMA_PARAM_OK=1\n")
        #expect(log.count(containing: "param `bad-name` is not a valid param name; steps do not see it") == 1)
        #expect(log.count(containing: "run run-9 starts: 1 steps, params bad-name=2, ok=1") == 1)
    }

    @Test func aRunDownloadsWhatTheReleaseNames() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write(
            "web.yaml",
            "steps:\n  - download_s3:\n      url: ${params.artifact}\n      dest: \(dir.path)/app-${params.version}.zip\n"
        )
        let fetcher = RecordingFetcher()
        let run = executor(loadScript: { try ScriptLoader.loadScript(path) }, fetcher: fetcher)
        let report = await run.run(context(["artifact": "s3://b/app-1.4.2.zip", "version": "1.4.2"]))
        #expect(report.status == .succeeded)
        #expect(fetcher.urls.all == ["s3://b/app-1.4.2.zip"])
        #expect(
            try String(contentsOfFile: dir.file("app-1.4.2.zip"), encoding: .utf8) == "bytes of s3://b/app-1.4.2.zip")
    }

    @Test func aMissingParamFailsTheRunBeforeItsFirstStep() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write(
            "web.yaml",
            """
            steps:
              - shell: touch \(dir.file("first-step-ran"))
              - download:
                  url: https://origin.test/${params.artifact}
                  dest: \(dir.path)/app.zip
            """)
        let fetcher = RecordingFetcher()
        let report = await executor(loadScript: { try ScriptLoader.loadScript(path) }, fetcher: fetcher).run(
            context(["version": "1.4.2"]))
        #expect(report.status == .failed)
        #expect(report.steps.map(\.status) == [.skipped, .skipped])
        #expect(!FileManager.default.fileExists(atPath: dir.file("first-step-ran")), "no step ran")
        #expect(fetcher.urls.all.isEmpty)
        let tail = report.logTail ?? ""
        #expect(
            tail.contains(
                "\(path):4:7: `url` uses ${params.artifact}, but release 9 of `web` has no param `artifact` "
                    + "(it has version)"), "got: \(tail)")
        #expect(RunPrinter.text(report).contains("has no param `artifact`"), "run --once prints why")
    }
}
