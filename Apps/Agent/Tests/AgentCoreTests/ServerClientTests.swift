import Foundation
import Testing

@testable import AgentCore

@Suite(.serialized, .timeLimit(.minutes(5))) struct ServerClientTests {
    func client(_ server: StandInServer, transport: ClientTransport, secret: String = StandInServer.secret)
        -> ServerClient
    {
        ServerClient(
            server: server.url, secret: secret, agentName: "agent-1", host: "host-1", pollInterval: .seconds(5),
            transport: transport, longPollWait: 5)
    }

    @Test func fallsBackToTheOriginalProtocolWhenV1Is404() async throws {
        let server = try await StandInServer.start(.original)
        let transport = try ClientTransport(caFile: nil)
        let c = client(server, transport: transport)
        let first = try await c.poll(trigger: "app", known: nil)
        #expect(first == PollResult(observation: Observation(count: 0, epoch: nil), serverProtocol: .original))
        let outcome = try await c.increment(trigger: "app", wait: nil)
        #expect(outcome.original)
        #expect(outcome.count == 1)
        let second = try await c.poll(trigger: "app", known: first.observation)
        #expect(second.observation.count == 1)
        let paths = try await server.requests().map { "\($0["method"]!) \($0["path"]!)" }
        #expect(
            paths == [
                "GET /v1/triggers/app", "GET /trigger", "POST /v1/triggers/app", "POST /trigger", "GET /trigger",
            ], "probed v1 once, then stayed on the original protocol")
        try? await transport.shutdown()
        await server.shutdown()
    }

    @Test func aBadSecretIsAnErrorThatSaysSo() async throws {
        let server = try await StandInServer.start(.original)
        let transport = try ClientTransport(caFile: nil)
        let error = await #expect(throws: AgentError.self) {
            try await client(server, transport: transport, secret: "wrong").poll(trigger: "app", known: nil)
        }
        #expect(error?.message.contains("403") == true)
        #expect(error?.message.contains("PROSTAGMA_SECRET") == true)
        try? await transport.shutdown()
        await server.shutdown()
    }

    @Test func aTokenWithoutTheScopeIsNotBlamedOnTheSecret() async throws {
        let transport = try ClientTransport(caFile: nil)
        let c = ServerClient(
            server: "http://127.0.0.1:1", secret: "t", agentName: "agent-1", host: "host-1",
            pollInterval: .seconds(5), transport: transport, longPollWait: 5)
        let detail = "token 'ci-web' may not GET /v1/triggers/db: needs scope agent:db"
        let body = #"{"error": "insufficient_scope", "detail": "\#(detail)"}"#
        let error = #expect(throws: AgentError.self) {
            try c.check(
                TransportResponse(status: 403, headers: [:], body: Array(body.utf8)), "GET /v1/triggers/db",
                expect: [200])
        }
        #expect(error?.message.contains(detail) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("lacks that scope") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("PROSTAGMA_SECRET") == false, "\(error?.message ?? "")")
        #expect(ServerClient.credentialHint(status: 401, error: "unauthorized")?.contains("PROSTAGMA_SECRET") == true)
        #expect(ServerClient.credentialHint(status: 403, error: nil)?.contains("PROSTAGMA_SECRET") == true)
        #expect(ServerClient.credentialHint(status: 404, error: "not_found") == nil)
        try? await transport.shutdown()
    }

    @Test func theV1LongPollAnswersWhenTheTriggerMoves() async throws {
        let server = try await StandInServer.start(.v1)
        let transport = try ClientTransport(caFile: nil)
        let c = client(server, transport: transport)
        let first = try await c.poll(trigger: "app", known: nil)
        #expect(first.serverProtocol == .v1)
        #expect(first.observation.count == 0)
        #expect(first.observation.epoch != nil)
        async let moved = c.poll(trigger: "app", known: first.observation)
        // The long poll must be at the server before the trigger moves.
        #expect(
            try await eventually {
                try await server.requests().filter {
                    $0["path"] as? String == "/v1/triggers/app" && $0["method"] as? String == "GET"
                }.count >= 2
            })
        let outcome = try await c.increment(trigger: "app", wait: nil)
        #expect(!outcome.original)
        let next = try await moved
        #expect(next.observation.count == 1)
        #expect(next.observation.epoch == first.observation.epoch)
        let polls = try await server.requests().filter {
            $0["path"] as? String == "/v1/triggers/app" && $0["method"] as? String == "GET"
        }
        #expect(polls.allSatisfy { $0["agent"] as? String == "agent-1" && $0["poll_interval"] as? String == "5" })
        #expect((polls.last?["query"] as? [String: String])?["after"] == "0")
        try? await transport.shutdown()
        await server.shutdown()
    }

    @Test func downloadsGoThroughTheServerAndAreVerified() async throws {
        let server = try await StandInServer.start(.v1)
        let transport = try ClientTransport(caFile: nil)
        let c = client(server, transport: transport)
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let artifact = "https://origin.test/app.tar"
        try await server.control(
            "/_control/artifact?url=" + ServerClient.percentEncode(artifact), body: Array("artifact bytes".utf8))
        try await server.control(
            "/_control/artifact?url=" + ServerClient.percentEncode(artifact + "?lying")
                + "&sha=" + String(repeating: "a", count: 64), body: Array("other bytes".utf8))
        let dest = try dir.write("app.tar", "previous")
        let executor = RunExecutor(
            shell: "/bin/sh", baseEnvironment: [:], loadScript: { fatalError() }, fetcher: c, extractor: NoExtractor(),
            logger: CapturedLog().logger)
        let context = RunContext(trigger: "t", count: 1, epoch: nil, runID: "r", agent: "a", host: "h")

        var run = executor
        run.loadScript = { BuildScript(steps: [Step(.download(Download(url: artifact, dest: dest, cache: true)))]) }
        #expect(await run.run(context).status == .succeeded)
        #expect(try String(contentsOfFile: dest, encoding: .utf8) == "artifact bytes")
        let query = try await server.requests().last?["query"] as? [String: String]
        #expect(query == ["url": artifact, "cache": "true"])

        try dir.write("app.tar", "previous")
        run.loadScript = { BuildScript(steps: [Step(.download(Download(url: artifact + "?lying", dest: dest)))]) }
        let lying = await run.run(context)
        #expect(lying.status == .failed)
        #expect(lying.steps[0].message?.contains("announced SHA-256") == true)
        #expect(try String(contentsOfFile: dest, encoding: .utf8) == "previous")

        run.loadScript = { BuildScript(steps: [Step(.download(Download(url: artifact + "-missing", dest: dest)))]) }
        let missing = await run.run(context)
        #expect(missing.status == .failed)
        #expect(missing.steps[0].message?.contains("502") == true)
        #expect(try String(contentsOfFile: dest, encoding: .utf8) == "previous")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["app.tar"])
        try? await transport.shutdown()
        await server.shutdown()
    }

    /// A download is hashed while it is written (no second read of the file): the digest the fetch returns is the
    /// file's, for a body of several write batches.
    @Test func aDownloadIsHashedAsItArrives() async throws {
        let server = try await StandInServer.start(.v1)
        let transport = try ClientTransport(caFile: nil)
        let c = client(server, transport: transport)
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let artifact = "https://origin.test/big.bin"
        let bytes = (0..<(3 << 20) + 17).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 11) }
        try await server.control("/_control/artifact?url=" + ServerClient.percentEncode(artifact), body: bytes)
        let fetched = try await c.fetch(url: artifact, cache: true, to: dir.file("big.bin"))
        #expect(fetched.bytes == Int64(bytes.count))
        #expect(fetched.receivedSHA256 == (try await FileDigest.sha256Hex(of: dir.file("big.bin"))))
        try? await transport.shutdown()
        await server.shutdown()
    }

    @Test func runsAreReportedAndTriggerWaitMapsToExitCodes() async throws {
        let server = try await StandInServer.start(.v1)
        let transport = try ClientTransport(caFile: nil)
        let c = client(server, transport: transport)
        // No run reported: the wait runs out (504, exit 2).
        let timedOut = try await c.increment(trigger: "app", wait: 1)
        #expect(timedOut.status == 504)
        #expect(TriggerPrinter.describe(timedOut, trigger: "app", waited: true).1 == 2)
        // Report a failed run for count 2 while the pipeline waits for it (409, exit 1).
        async let failedWait = c.increment(trigger: "app", wait: 10)
        #expect(
            try await eventually {
                try await server.requests().filter {
                    $0["path"] as? String == "/v1/triggers/app" && $0["method"] as? String == "POST"
                }.count == 2
            })
        let failed = RunReport(
            id: "r2", agent: "agent-1", host: "host-1", trigger: "app", count: 2, epoch: nil, status: .failed,
            startedAt: Timestamp.format(Date()), finishedAt: Timestamp.format(Date()),
            steps: [
                .init(
                    index: 0, kind: "shell", status: .failed, durationSeconds: 0.1, exitCode: 3,
                    message: "exit status 3")
            ],
            logTail: "migrating\nboom\n")
        try await c.report(failed)
        let outcome = try await failedWait
        #expect(outcome.status == 409)
        let (text, code) = TriggerPrinter.describe(outcome, trigger: "app", waited: true)
        #expect(code == 1)
        #expect(text.contains("agent-1: failed at step 1 (shell): exit status 3"))
        #expect(text.contains("| boom"))
        #expect(!text.contains("    | \n"), "no empty tail line")
        let stored = try await server.runs()
        #expect(stored.count == 1)
        #expect(stored[0]["log_tail"] as? String == "migrating\nboom\n")
        try? await transport.shutdown()
        await server.shutdown()
    }
}
