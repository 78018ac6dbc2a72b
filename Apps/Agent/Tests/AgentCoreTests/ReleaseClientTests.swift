import ArgumentParser
import Foundation
import Testing

@testable import AgentCore

/// Releases on the wire: the long poll's release, `trigger --param`, `rollback`, against the stand-in server.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ReleaseClientTests {
    func withClient(
        _ mode: StandInServer.Mode, _ body: (ServerClient, StandInServer) async throws -> Void
    ) async throws {
        let server = try await StandInServer.start(mode)
        let transport = try ClientTransport(caFile: nil)
        let client = ServerClient(
            server: server.url, secret: StandInServer.secret, agentName: "agent-1", host: "host-1",
            pollInterval: .seconds(5), transport: transport, longPollWait: 5)
        let result = await Result { try await body(client, server) }
        try? await transport.shutdown()
        await server.shutdown()
        try result.get()
    }

    func posts(_ server: StandInServer) async throws -> [String] {
        try await server.requests().filter { $0["method"] as? String == "POST" }.map {
            "\($0["path"]!) \($0["body"]!)"
        }
    }

    @Test func theLongPollCarriesTheReleaseOfItsCount() async throws {
        try await withClient(.v1) { client, server in
            let bare = try await client.poll(trigger: "app", known: nil)
            #expect(bare.release == nil, "a count without a release (as from a server without releases)")
            try await server.control(
                "/_control/set?trigger=app&count=4", body: Array(#"{"version": "1.4.2", "artifact": "s3://b/k"}"#.utf8))
            let moved = try await client.poll(trigger: "app", known: bare.observation)
            #expect(moved.observation.count == 4)
            #expect(moved.release?.count == 4)
            #expect(moved.release?.params == ["version": "1.4.2", "artifact": "s3://b/k"])
        }
    }

    @Test func anIncrementSendsItsParamsAndNoteAndPrintsTheRelease() async throws {
        try await withClient(.v1) { client, server in
            let plain = try await client.increment(trigger: "web", wait: nil)
            #expect(TriggerPrinter.describe(plain, trigger: "web", waited: false).0 == "web: incremented to 1")
            let outcome = try await client.increment(
                trigger: "web", wait: nil, request: IncrementRequest(params: ["version": "1.4.2"], note: "ship it"))
            let (text, code) = TriggerPrinter.describe(outcome, trigger: "web", waited: false)
            #expect(code == 0)
            #expect(text == "web: incremented to 2 (version=1.4.2)")
            let sent = try await posts(server)
            #expect(sent.count == 2)
            #expect(sent.first == "/v1/triggers/web ", "a bare increment sends no body, as before")
            let body = try JSONDecoder().decode(
                IncrementRequest.self, from: Data(sent[1].dropFirst("/v1/triggers/web ".count).utf8))
            #expect(body == IncrementRequest(params: ["version": "1.4.2"], note: "ship it"))
        }
    }

    @Test func aParamTheServerRefusesIsAnErrorWithItsDetail() async throws {
        try await withClient(.v1) { client, _ in
            let error = await #expect(throws: AgentError.self) {
                try await client.increment(trigger: "web", wait: nil, request: IncrementRequest(params: ["1x": "a"]))
            }
            #expect(error?.httpStatus == 422)
            #expect(error?.message.contains("params.1x") == true, "got: \(error?.message ?? "")")
        }
    }

    @Test func paramsAgainstTheOriginalServerFailAndIncrementNothing() async throws {
        try await withClient(.original) { client, server in
            let error = await #expect(throws: AgentError.self) {
                try await client.increment(
                    trigger: "web", wait: nil, request: IncrementRequest(params: ["version": "1.4.2"]))
            }
            #expect(error?.message.contains("need a Prostagma v1 server with releases") == true)
            #expect(error?.message.contains("nothing was incremented") == true)
            let sent = try await posts(server).map { $0.split(separator: " ")[0] }
            #expect(sent == ["/v1/triggers/web"])
            let rollback = await #expect(throws: AgentError.self) {
                try await client.rollback(trigger: "web", request: RollbackRequest(to: .previous), wait: nil)
            }
            #expect(rollback?.message.contains("rollback needs a Prostagma v1 server with releases") == true)
            // A bare increment still works, through the original API.
            let bare = try await client.increment(trigger: "web", wait: nil)
            #expect(bare.original)
        }
    }

    @Test func aRollbackMakesANewCountWithTheEarlierParams() async throws {
        try await withClient(.v1) { client, server in
            let none = await #expect(throws: AgentError.self) {
                try await client.rollback(trigger: "web", request: RollbackRequest(to: .previous), wait: nil)
            }
            #expect(none?.httpStatus == 409)
            #expect(none?.message.contains("no earlier release whose runs all succeeded") == true)
            for version in ["1.4.1", "1.4.2"] {
                _ = try await client.increment(
                    trigger: "web", wait: nil, request: IncrementRequest(params: ["version": version]))
            }
            let back = try await client.rollback(trigger: "web", request: RollbackRequest(to: .previous), wait: nil)
            #expect(
                TriggerPrinter.describe(back, trigger: "web", waited: false).0
                    == "web: rolled back to release 1 as count 3 (version=1.4.1)")
            let missing = await #expect(throws: AgentError.self) {
                try await client.rollback(trigger: "web", request: RollbackRequest(to: .count(42)), wait: nil)
            }
            #expect(missing?.httpStatus == 422)
            #expect(missing?.message.contains("has no release 42") == true)
            let sent = try await posts(server).filter { $0.hasPrefix("/v1/triggers/web/rollback") }
            #expect(sent.last == #"/v1/triggers/web/rollback {"to":42}"#)
        }
    }

    @Test func aRollbackWaitMapsToTheExitCodesOfTrigger() async throws {
        try await withClient(.v1) { client, _ in
            _ = try await client.increment(trigger: "web", wait: nil, request: IncrementRequest(params: ["v": "1"]))
            _ = try await client.increment(trigger: "web", wait: nil, request: IncrementRequest(params: ["v": "2"]))
            let timedOut = try await client.rollback(trigger: "web", request: RollbackRequest(to: .count(1)), wait: 1)
            #expect(timedOut.status == 504)
            let (text, code) = TriggerPrinter.describe(timedOut, trigger: "web", waited: true)
            #expect(code == 2)
            #expect(text.hasPrefix("web: rolled back to release 1 as count 3 (v=1)\n"), "got: \(text)")
            // The server's waited answer (DeployOutcome) names no release: the line says what was asked for.
            let outcome = DeployOutcome(trigger: "web", count: 3, epoch: "e", runs: [], pending: ["a1"])
            let bare = ServerClient.TriggerOutcome(
                status: 504, count: 3, body: String(decoding: try JSONEncoder().encode(outcome), as: UTF8.self),
                original: false, rolledBackTo: .previous)
            #expect(
                TriggerPrinter.describe(bare, trigger: "web", waited: true).0
                    == "web: rolled back to previous as count 3\ntimed out waiting for: a1")
        }
    }
}

@Suite(.timeLimit(.minutes(1))) struct ReleaseCommandTests {
    @Test func triggerReadsEachParamAndTheNote() throws {
        let command = try TriggerCommand.parse([
            "web", "--param", "version=1.4.2", "--param", "artifact=s3://b/app.zip?x=1", "--param", "empty=",
            "--note", "from CI",
        ])
        #expect(
            try command.request()
                == IncrementRequest(
                    params: ["version": "1.4.2", "artifact": "s3://b/app.zip?x=1", "empty": ""], note: "from CI"))
        #expect(try TriggerCommand.parse(["web"]).request() == IncrementRequest())
    }

    /// Bad arguments and a piece of the usage error, which must name the offending one.
    static let badTriggers: [([String], String)] = [
        (["web", "--param", "version"], "--param `version` must be NAME=VALUE"),
        (["web", "--param", "=1"], "params.\"\""),
        (["web", "--param", "1x=a"], "params.\"1x\""),
        (["web", "--param", "a-b=c"], "params.\"a-b\""),
        (["web", "--param", "v=1", "--param", "v=2"], "--param `v` is given twice"),
        (["web", "--param", "v=" + String(repeating: "x", count: 4097)], "params.v: the value is 4097 bytes"),
        (["web", "--param", "v=1", "--param", "V=2"], "only in case"),
        (["web"] + (0...32).flatMap { ["--param", "p\($0)=x"] }, "33 params, at most 32"),
        (["web", "--note", String(repeating: "n", count: 1025)], "--note: note: 1025 bytes"),
        (["w/b", "--param", "v=1"], "not a valid trigger name"),
        (["web", "--wait", "forever"], "--wait `forever`"),
    ]

    @Test(arguments: badTriggers)
    func aBadTriggerArgumentIsAUsageErrorThatNamesIt(_ arguments: [String], _ message: String) {
        let error = #expect(throws: (any Error).self) { try TriggerCommand.parse(arguments) }
        let text = error.map { TriggerCommand.message(for: $0) } ?? ""
        #expect(text.contains(message), "got: \(text)")
        #expect(error.map { TriggerCommand.exitCode(for: $0) } == ExitCode.validationFailure)
    }

    @Test(arguments: [
        ("3", RollbackRequest.Target.count(3)), ("previous", .previous), ("9000000000", .count(9_000_000_000)),
    ])
    func rollbackReadsTheTarget(_ to: String, _ target: RollbackRequest.Target) throws {
        let command = try RollbackCommand.parse(["web", "--to", to, "--note", "bad deploy"])
        #expect(try command.request() == RollbackRequest(to: target, note: "bad deploy"))
    }

    @Test(arguments: ["0", "-1", "prev", "1.5", "PREVIOUS"])
    func aBadRollbackTargetIsAUsageError(_ to: String) {
        let error = #expect(throws: (any Error).self) { try RollbackCommand.parse(["web", "--to=\(to)"]) }
        let text = error.map { RollbackCommand.message(for: $0) } ?? ""
        #expect(text.contains("--to `\(to)` must be a release's count (1 or more) or `previous`"), "got: \(text)")
    }

    @Test func rollbackNeedsATarget() {
        #expect(throws: (any Error).self) { try RollbackCommand.parse(["web"]) }
    }

    @Test func runOnceTakesParamsToo() throws {
        #expect(throws: (any Error).self) { try RunCommand.parse(["--once", "--param", "nope"]) }
        #expect(try RunCommand.parse(["--once", "--param", "v=1"]).params == ["v=1"])
    }
}
