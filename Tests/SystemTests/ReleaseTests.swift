import Foundation
import ProstagmaProtocol
import SystemSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Releases with the real binaries: CI says what to deploy (`prostagma-agent trigger --param`), agents fetch
/// `${params.artifact}` from an HTTP origin and from moto's S3, a rollback re-deploys an earlier release byte for
/// byte, a `kill -9` mid-run re-runs the same release, and a signed GitHub push records its commit.
@Suite("Releases", .timeLimit(.minutes(10)))
struct ReleaseTests {
    /// Runs `prostagma-agent ARGUMENTS` as CI would, against `server`.
    static func agentCommand(_ arguments: [String], server: ServerProcess) async throws -> CommandResult {
        let binary = try await Binaries.agent()
        return try await Command.run(
            [binary.path] + arguments,
            environment: ["PROSTAGMA_HOST": server.baseURL, "PROSTAGMA_SECRET": server.secret],
            timeout: .seconds(180))
    }

    /// `GET /v1/triggers/{trigger}/releases`, decoded with the wire type.
    static func releases(_ trigger: String, server: ServerProcess) async throws -> [Release] {
        let response = try await server.get("/v1/triggers/\(trigger)/releases")
        guard response.status == 200 else {
            throw SystemTestError("GET releases answered \(response.status): \(response.text)")
        }
        return try JSONDecoder().decode(ReleaseList.self, from: response.body).releases
    }

    @Test func aPipelineDeploysTheArtifactItsReleaseNamesAndRollsBackByteForByte() async throws {
        try await SystemHarness.run { harness in
            let s3 = try await harness.startS3()
            try await s3.makeBucket("releases")
            let origin = try await harness.startOrigin()
            let server = try await harness.startServer(environment: s3.environment)
            var urls: [String: (http: String, s3: String)] = [:]
            for version in ["1.4.1", "1.4.2"] {
                let http = try origin.put(TestBytes.make("http-" + version), as: "app-\(version).tar")
                let object = harness.path("app-\(version).bin")
                try TestBytes.make("s3-" + version).write(to: object)
                try await s3.upload(object, to: "s3://releases/app-\(version).bin")
                urls[version] = (http, "s3://releases/app-\(version).bin")
            }

            let machine = harness.path("machine")
            try FileSystem.makeDirectory(machine)
            let versions = machine.appendingPathComponent("versions.log")
            let agent = try await harness.startAgent(
                "web-1", server: server, trigger: "web",
                script: """
                    steps:
                      - download:
                          url: ${params.artifact}
                          dest: \(machine.path)/app.tar
                      - download_s3:
                          url: ${params.s3_artifact}
                          dest: \(machine.path)/app.bin
                      - shell: echo "$PROSTAGMA_COUNT $PROSTAGMA_PARAM_VERSION" >> \(versions.path)

                    """)
            try await server.waitForWatchers("web", count: 1)

            func expectDeployed(_ version: String) {
                #expect(
                    FileManager.default.contents(atPath: machine.appendingPathComponent("app.tar").path)
                        == TestBytes.make("http-" + version), "app.tar is \(version)")
                #expect(
                    FileManager.default.contents(atPath: machine.appendingPathComponent("app.bin").path)
                        == TestBytes.make("s3-" + version), "app.bin is \(version)")
            }

            for version in ["1.4.1", "1.4.2"] {
                let deploy = try await Self.agentCommand(
                    [
                        "trigger", "web", "--param", "version=\(version)", "--param", "artifact=\(urls[version]!.http)",
                        "--param", "s3_artifact=\(urls[version]!.s3)", "--note", "release \(version)", "--wait", "2m",
                    ], server: server)
                try #require(deploy.status == 0, "trigger \(version): \(deploy.errorOutput)\(deploy.output)")
                expectDeployed(version)
            }
            #expect(FileSystem.lines(versions) == ["1 1.4.1", "2 1.4.2"])

            // 1.4.2 is bad: back to the newest earlier release whose runs all succeeded.
            let rollback = try await Self.agentCommand(
                ["rollback", "web", "--to", "previous", "--wait", "2m"], server: server)
            try #require(rollback.status == 0, "rollback: \(rollback.errorOutput)\(rollback.output)")
            expectDeployed("1.4.1")
            #expect(FileSystem.lines(versions) == ["1 1.4.1", "2 1.4.2", "3 1.4.1"])

            let history = try await Self.releases("web", server: server)
            #expect(history.map(\.count) == [3, 2, 1], "newest first")
            #expect(history.first?.rollbackOf == 1)
            #expect(history.first?.params == history.last?.params)
            #expect(history.last?.note == "release 1.4.1")
            #expect(history.allSatisfy { $0.source == .api })
            #expect(history.last?.outcome?.succeeded == 1)

            // And forward again to an explicit count.
            let forward = try await Self.agentCommand(["rollback", "web", "--to", "2", "--wait", "2m"], server: server)
            try #require(forward.status == 0, "rollback --to 2: \(forward.errorOutput)\(forward.output)")
            expectDeployed("1.4.2")
            let runs = try await server.runs(of: "web")
            #expect(runs.filter { $0.agent == agent.name }.allSatisfy { $0.status == "succeeded" })

            // The status page as a browser shows it: the current release, and the history with each outcome.
            let dom = try await HeadlessChromium.dumpDOM(StatusPageTests.pageURL(server), in: harness, name: "dom")
            try FileSystem.write(dom, to: harness.path("status.dom.html"))
            let historyStart = try #require(dom.range(of: "id=\"history-web\""), "a history for web")
            let block = String(dom[historyStart.lowerBound...]).components(separatedBy: "</details>").first ?? ""
            for text in ["1.4.1", "1.4.2", "release 1.4.1", "Rollback to #1", "Rollback to #2"] {
                #expect(block.contains(text), "history shows \(text)")
            }
            #expect(
                block.components(separatedBy: ">succeeded<").count - 1 == 4, "each of the 4 releases succeeded once")
            #expect(!block.contains(">failed<"))
        }
    }

    @Test func aReleaseThatLacksAParamFailsBeforeAnyStepRuns() async throws {
        try await SystemHarness.run { harness in
            let server = try await harness.startServer()
            let marker = harness.path("machine/ran.log")
            try FileSystem.makeDirectory(marker.deletingLastPathComponent())
            _ = try await harness.startAgent(
                "web-1", server: server, trigger: "web",
                script: """
                    steps:
                      - shell: echo ran >> \(marker.path)
                      - download:
                          url: ${params.artifact}
                          dest: \(marker.deletingLastPathComponent().path)/app.tar

                    """)
            try await server.waitForWatchers("web", count: 1)
            let deploy = try await Self.agentCommand(
                ["trigger", "web", "--param", "version=2", "--wait", "2m"], server: server)
            #expect(deploy.status == 1, "a failed deploy: \(deploy.errorOutput)\(deploy.output)")
            let run = try await server.waitForRun(of: "web", count: 1, agent: "web-1")
            #expect(run.status == "failed")
            #expect(run.steps.allSatisfy { $0.status == "skipped" }, "no step ran")
            #expect(run.logTail?.contains("artifact") == true, "the error names the param: \(run.logTail ?? "")")
            #expect(!FileManager.default.fileExists(atPath: marker.path))
        }
    }

    @Test func anAgentKilledMidRunReRunsTheSameRelease() async throws {
        try await SystemHarness.run { harness in
            let server = try await harness.startServer()
            let marks = harness.path("machine/marks.log")
            try FileSystem.makeDirectory(marks.deletingLastPathComponent())
            let agent = try await harness.startAgent(
                "worker", server: server, trigger: "job",
                script: """
                    steps:
                      - shell: |
                          echo "start $PROSTAGMA_PARAM_VERSION $$" >> \(marks.path)
                          sleep 3
                          echo "end $PROSTAGMA_PARAM_VERSION" >> \(marks.path)

                    """)
            try await server.waitForWatchers("job", count: 1)
            let trigger = try await Self.agentCommand(["trigger", "job", "--param", "version=7.1"], server: server)
            try #require(trigger.status == 0, "\(trigger.errorOutput)")
            let pid = try await Poll.until("the run to start", timeout: .seconds(30), interval: .milliseconds(20)) {
                FileSystem.lines(marks).first.flatMap { $0.split(separator: " ").last.flatMap { pid_t($0) } }
            }
            let stepGroup = getpgid(pid)
            await agent.kill9()
            if stepGroup > 0, stepGroup != getpgrp() { kill(-stepGroup, SIGKILL) }
            try #require(FileSystem.lines(marks) == ["start 7.1 \(pid)"], "the first run did not finish")

            try await agent.start()
            let run = try await server.waitForRun(of: "job", count: 1, agent: "worker", timeout: .seconds(30))
            #expect(run.status == "succeeded")
            try await Poll.check("the second run to end", timeout: .seconds(30)) {
                FileSystem.lines(marks).contains("end 7.1")
            }
            let starts = FileSystem.lines(marks).filter { $0.hasPrefix("start ") }
            #expect(starts.count == 2 && starts.allSatisfy { $0.hasPrefix("start 7.1 ") }, "\(starts)")
        }
    }

    @Test func aSignedGitHubPushRecordsItsCommit() async throws {
        try await SystemHarness.run { harness in
            let server = try await harness.startServer()
            let commit = "6f1c2a9e8d7b6a5c4d3e2f1a0b9c8d7e6f5a4b3c"
            let body = """
                {"ref": "refs/heads/main", "before": "0000000000000000000000000000000000000000", \
                "after": "\(commit)", "pusher": {"name": "ann", "email": "ann@example.com"}, \
                "head_commit": {"id": "\(commit)", "message": "Fix the thing"}, "repository": {"full_name": "acme/web"}}
                """
            let file = harness.path("push.json")
            try FileSystem.write(body, to: file)
            let digest = try await Command.check([
                "python3", "-c",
                "import hmac,hashlib,sys; print(hmac.new(sys.argv[1].encode(), open(sys.argv[2],'rb').read(), "
                    + "hashlib.sha256).hexdigest())",
                server.secret, file.path,
            ]).output.trimmingCharacters(in: .whitespacesAndNewlines)
            let response = try await HTTP.request(
                "POST", server.baseURL + "/v1/triggers/web",
                headers: [
                    "X-Hub-Signature-256": "sha256=\(digest)", "X-GitHub-Event": "push",
                    "X-GitHub-Delivery": UUID().uuidString, "Content-Type": "application/json",
                ], body: Data(body.utf8))
            #expect(response.status == 200, "\(response.text)")

            let one = try await server.get("/v1/triggers/web/releases/1")
            #expect(one.status == 200, "\(one.text)")
            let release = try JSONDecoder().decode(Release.self, from: one.body)
            #expect(release.source == .github)
            #expect(release.forge == ForgePush(ref: "refs/heads/main", commit: commit, pusher: "ann"))
            #expect(release.params.isEmpty)

            let missing = try await server.get("/v1/triggers/web/releases/9")
            #expect(missing.status == 404)
        }
    }
}
