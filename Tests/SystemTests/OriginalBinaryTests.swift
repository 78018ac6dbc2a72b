import Foundation
import ProstagmaProtocol
import SystemSupport
import Testing

/// Interoperability with the real original tool, built from `../shared/reference/` (Go, offline): its client
/// against our server, our agent against its server, and the seed README's command lines.
///
/// Serialized: the original server keeps its cache in the fixed `/tmp/prostagma_cache/`, wiped at its start.
@Suite("Original binaries", .serialized, .timeLimit(.minutes(10)))
struct OriginalBinaryTests {
    /// What both directions of the download interop start from: an HTTP origin serving `app.tar`, moto's S3
    /// holding `s3://artifacts/app.bin`, and an empty `machine/` folder to deploy into.
    struct Artifacts {
        let s3: MotoS3
        let url: String
        let fileBytes: Data
        let objectBytes: Data
        let machine: URL

        init(_ harness: SystemHarness, label: String) async throws {
            s3 = try await harness.startS3()
            try await s3.makeBucket("artifacts")
            let objectFile = harness.path("object.bin")
            objectBytes = TestBytes.make("s3-" + label, size: 300_000)
            try objectBytes.write(to: objectFile)
            try await s3.upload(objectFile, to: "s3://artifacts/app.bin")
            let origin = try await harness.startOrigin()
            fileBytes = TestBytes.make("http-" + label, size: 300_000)
            url = try origin.put(fileBytes, as: "app.tar")
            machine = harness.path("machine")
            try FileSystem.makeDirectory(machine)
        }
    }

    @Test func theOriginalClientRunsShellDownloadAndS3StepsAgainstOurServer() async throws {
        try await SystemHarness.run { harness in
            let artifacts = try await Artifacts(harness, label: "original-client")
            let (url, fileBytes, objectBytes, machine) =
                (artifacts.url, artifacts.fileBytes, artifacts.objectBytes, artifacts.machine)
            let server = try await harness.startServer(environment: artifacts.s3.environment)

            let marker = machine.appendingPathComponent("deployed.log")
            // The original's script format: download steps in both of its layouts, a multi-line shell step.
            let client = try await harness.startOriginalClient(
                "original-client", server: server.baseURL, secret: server.secret, trigger: "web",
                script: """
                    steps:
                      - download:
                          cache: false
                          url: \(url)
                          dest: \(machine.path)/fresh.tar
                      - download:
                          cache: true
                          url: \(url)
                          dest: \(machine.path)/cached.tar
                      - download_s3:
                          cache: false
                          url: s3://artifacts/app.bin
                          dest: \(machine.path)/app.bin
                      - shell: |
                          test -s \(machine.path)/app.bin
                          echo "deployed" >> \(marker.path)

                    """)
            // The client reads the count once at start, then polls every 5 s: it must have read it before the
            // increment, or it adopts the new count and runs nothing (as the original does).
            try await Poll.check("the original client's first GET /trigger", timeout: .seconds(30)) {
                let metrics = try await server.metrics()
                let reads = metrics.value(
                    "prostagma_http_requests_total", labels: ["route": "/trigger", "method": "GET", "status": "200"])
                return (reads ?? 0) >= 1
            }
            let status = try await HTTP.request(
                "POST", server.baseURL + "/trigger",
                body: Data(#"{"secret": "\#(server.secret)", "trigger": "web"}"#.utf8)
            ).status
            #expect(status == 200)
            try await Poll.check(
                "the original client's deploy", timeout: .seconds(60),
                state: { FileSystem.tail(client.log, lines: 10) }
            ) { FileSystem.lines(marker) == ["deployed"] }
            #expect(FileManager.default.contents(atPath: machine.appendingPathComponent("fresh.tar").path) == fileBytes)
            #expect(
                FileManager.default.contents(atPath: machine.appendingPathComponent("cached.tar").path) == fileBytes)
            #expect(
                FileManager.default.contents(atPath: machine.appendingPathComponent("app.bin").path) == objectBytes)
        }
    }

    @Test func ourAgentRunsShellDownloadAndS3StepsAgainstTheOriginalServer() async throws {
        try await SystemHarness.run { harness in
            let artifacts = try await Artifacts(harness, label: "our-agent")
            let (url, fileBytes, objectBytes, machine) =
                (artifacts.url, artifacts.fileBytes, artifacts.objectBytes, artifacts.machine)
            let original = try await harness.startOriginalServer(s3: artifacts.s3)

            let marker = machine.appendingPathComponent("deployed.log")
            // `cache: true` on a fresh original server: GET /cache answers 404, then POST /cache, then GET again.
            let agent = try await harness.startAgent(
                "agent", serverURL: original.baseURL, secret: original.secret, trigger: "web",
                script: """
                    steps:
                      - download:
                          url: \(url)
                          dest: \(machine.path)/fresh.tar
                      - download:
                          url: \(url)
                          dest: \(machine.path)/cached.tar
                          cache: true
                      - download_s3:
                          url: s3://artifacts/app.bin
                          dest: \(machine.path)/app.bin
                      - shell: |
                          cmp \(machine.path)/fresh.tar \(machine.path)/cached.tar
                          echo "deployed $PROSTAGMA_COUNT" >> \(marker.path)

                    """,
                environment: ["PROSTAGMA_POLL_INTERVAL": "0.2"])
            try await Poll.check("the agent's first poll", timeout: .seconds(30)) {
                FileSystem.text(agent.log)?.contains("count 0") == true
            }
            #expect(try await original.increment("web") == 200)
            try await Poll.check(
                "the deploy through the original's /cache", timeout: .seconds(60),
                state: { FileSystem.tail(agent.log, lines: 10) }
            ) { FileSystem.lines(marker) == ["deployed 1"] }
            for (name, bytes) in [("fresh.tar", fileBytes), ("cached.tar", fileBytes), ("app.bin", objectBytes)] {
                #expect(
                    FileManager.default.contents(atPath: machine.appendingPathComponent(name).path) == bytes, "\(name)")
            }
            // Each file was written beside its destination and renamed: nothing else is left.
            #expect(FileSystem.tree(machine) == ["app.bin", "cached.tar", "deployed.log", "fresh.tar"])
            // The run could not be reported (the original has nowhere to take it): it is only logged.
            #expect(FileSystem.text(agent.log)?.contains("succeeded") == true)
        }
    }

    @Test func theSeedReadmesCommandIsRefusedByTheOriginalAndTakenByOurs() async throws {
        try await SystemHarness.run { harness in
            let original = try await harness.startOriginalServer()
            let ours = try await harness.startServer()
            let body = #"{"secret": "\#(harness.secret)", trigger: "MY_TRIGGER_NAME"}"#
            let theirs = try await HTTP.request("POST", original.baseURL + "/trigger", body: Data(body.utf8))
            #expect(theirs.status == 400, "the original refuses its own README's command")
            let accepted = try await HTTP.request("POST", ours.baseURL + "/trigger", body: Data(body.utf8))
            #expect(accepted.status == 200)
            #expect(try await ours.state(of: "MY_TRIGGER_NAME").count == 1)
        }
    }

    @Test func ourServerRunsWithTheSeedsServerVerb() async throws {
        try await SystemHarness.run { harness in
            let port = try FreePort.next()
            var environment = Command.baseEnvironment
            environment["PROSTAGMA_HOST"] = "127.0.0.1:\(port)"
            environment["PROSTAGMA_SECRET"] = harness.secret
            environment["PROSTAGMA_DATA"] = harness.path("data").path
            let binary = try await Binaries.server()
            let process = try await harness.spawn(
                [binary.path, "server"], environment: environment, log: harness.path("server.log"))
            try await Poll.check("prostagma-server server to answer /healthz", timeout: .seconds(30)) {
                if let status = process.exitStatus {
                    throw SystemTestError("exited \(status): " + FileSystem.tail(harness.path("server.log")))
                }
                return (try? await HTTP.get("http://127.0.0.1:\(port)/healthz", timeout: .seconds(2)))?.status == 200
            }
            let client = try await Command.run([binary.path, "client"])
            #expect(client.status != 0)
            #expect(client.errorOutput.contains("prostagma-agent"), "\(client.errorOutput)")
        }
    }

    @Test func ourAgentDoesNotRunWhenTheOriginalRestartsAndRunsOnTheNextIncrement() async throws {
        try await SystemHarness.run { harness in
            let original = try await harness.startOriginalServer()
            let marker = harness.path("machine/deployed.log")
            try FileSystem.makeDirectory(marker.deletingLastPathComponent())
            let agent = try await harness.startAgent(
                "agent", serverURL: original.baseURL, secret: original.secret, trigger: "web",
                script: """
                    steps:
                      - shell: echo "deployed $PROSTAGMA_COUNT" >> \(marker.path)

                    """,
                environment: ["PROSTAGMA_POLL_INTERVAL": "0.2"])
            // First start: the agent adopts the count (0) and runs nothing; it logs what it adopted.
            try await Poll.check("the agent's first poll", timeout: .seconds(30)) {
                FileSystem.text(agent.log)?.contains("count 0") == true
            }
            for expected in 1...2 {
                #expect(try await original.increment("web") == 200)
                try await Poll.check("deploy \(expected)", timeout: .seconds(30)) {
                    FileSystem.lines(marker).count == expected
                }
            }
            #expect(FileSystem.lines(marker) == ["deployed 1", "deployed 2"])

            // The original keeps counts in memory: after a restart the trigger reads 0 again.
            await original.stop()
            try await original.start()
            try await Poll.check(
                "the agent to see the count go back to 0", timeout: .seconds(60),
                state: { FileSystem.tail(agent.log, lines: 5) }
            ) {
                FileSystem.text(agent.log)?.contains("went down") == true
            }
            #expect(FileSystem.lines(marker) == ["deployed 1", "deployed 2"], "no run on the reset")
            #expect(try await original.increment("web") == 200)
            try await Poll.check("the deploy after the restart", timeout: .seconds(30)) {
                FileSystem.lines(marker).count == 3
            }
            #expect(FileSystem.lines(marker) == ["deployed 1", "deployed 2", "deployed 1"])
        }
    }
}
