import Foundation
import HTTPCore
import ProstagmaProtocol
import Testing

@testable import ServerCore

@Suite(.timeLimit(.minutes(2))) struct ReleaseRoutesTests {
    static func decode<T: Decodable>(_ type: T.Type, _ response: TestServer.Response) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(response.body))
    }

    /// Reports a run of `trigger` at `count` for `agent`.
    static func report(
        _ server: TestServer, agent: String, trigger: String = "app", count: Int64, status: String
    ) async throws {
        let epoch = server.components.store.epoch
        let run =
            #"{"agent": "\#(agent)", "trigger": "\#(trigger)", "count": \#(count), "epoch": "\#(epoch)", "status": "\#(status)"}"#
        let created = try await server.send(.POST, "/v1/runs", body: run, bearer: true)
        #expect(created.status == 201, "\(created.text)")
    }

    @Test func anIncrementWithABodyRecordsItsParamsAndAnswersWithTheRelease() async throws {
        let server = try await TestServer()
        let body = #"{"params": {"version": "1.4.2", "artifact": "s3://b/app-1.4.2.zip"}, "note": "from CI"}"#
        let response = try await server.send(.POST, "/v1/triggers/app", body: body, bearer: true)
        #expect(response.status == 200, "\(response.text)")
        let state = try Self.decode(TriggerState.self, response)
        #expect(state.count == 1)
        let release = try #require(state.release)
        #expect(release.params == ["version": "1.4.2", "artifact": "s3://b/app-1.4.2.zip"])
        #expect(release.note == "from CI")
        #expect(release.source == .api)
        #expect(release.requestedBy == "secret")
        #expect(release.outcome == nil)
        let stored = try Self.decode(
            Release.self, try await server.send(.GET, "/v1/triggers/app/releases/1", bearer: true))
        #expect(stored.params == release.params)
        #expect(stored.note == "from CI")
        #expect(stored.outcome == ReleaseOutcome())
    }

    @Test func anEmptyBodyMakesAReleaseWithoutParams() async throws {
        let server = try await TestServer()
        for body in [nil, "", " \n"] as [String?] {
            let response = try await server.send(.POST, "/v1/triggers/app", body: body, bearer: true)
            #expect(response.status == 200)
            #expect(try Self.decode(TriggerState.self, response).release?.params == [:])
        }
        #expect(server.components.hub.current("app").count == 3)
    }

    static let tooManyParams =
        "{" + (0...32).map { #""p\#($0)": "v""# }.joined(separator: ", ") + "}"

    @Test(arguments: [
        (#"{"params": {"9lives": "x"}}"#, "params.\"9lives\""),
        (#"{"params": {"bad-name": "x"}}"#, "params.\"bad-name\""),
        (#"{"params": \#(tooManyParams)}"#, "33 params"),
        (#"{"params": {"big": "\#(String(repeating: "x", count: 4097))"}}"#, "params.big"),
        (#"{"params": {"num": 7}}"#, "params.num"),
        (#"{"params": {"obj": {"a": "b"}}}"#, "params.obj"),
        (#"{"params": {"nothing": null}}"#, "params.nothing"),
        (#"{"params": ["version"]}"#, "params"),
        (#"{"note": "\#(String(repeating: "n", count: 1025))"}"#, "note"),
        (#"{"note": 5}"#, "note"),
    ])
    func badParamsAre422NamingThemAndRecordNothing(body: String, named: String) async throws {
        let server = try await TestServer()
        let response = try await server.send(.POST, "/v1/triggers/app", body: body, bearer: true)
        #expect(response.status == 422, "\(response.text)")
        let detail = try #require(try response.json()["detail"] as? String)
        #expect(detail.contains(named), "\(detail)")
        #expect(server.components.hub.current("app").count == 0)
        #expect(try await server.components.store.loadTriggers().isEmpty)
        #expect(try await server.components.store.releases(trigger: "app", before: nil, limit: 10).releases.isEmpty)
    }

    @Test func aValueOfExactly4KiBAnd32ParamsAreAccepted() async throws {
        let server = try await TestServer()
        let params = (0..<31).map { #""p\#($0)": "v""# } + [#""big": "\#(String(repeating: "é", count: 2048))""#]
        let response = try await server.send(
            .POST, "/v1/triggers/app", body: #"{"params": {\#(params.joined(separator: ", "))}}"#, bearer: true)
        #expect(response.status == 200, "\(response.text)")
        #expect(try Self.decode(TriggerState.self, response).release?.params.count == 32)
    }

    @Test(arguments: [
        ("{\"params\": {\"a\": \"b\"}", "line 1"), ("{params: {}}", "double-quoted"), ("[1]", "object"),
        ("\"text\"", "object"), ("not json", "line 1"),
    ])
    func malformedBodiesAre400SayingWhere(body: String, says: String) async throws {
        let server = try await TestServer()
        let response = try await server.send(.POST, "/v1/triggers/app", body: body, bearer: true)
        #expect(response.status == 400, "\(response.text)")
        #expect((try response.json()["detail"] as? String)?.contains(says) == true, "\(response.text)")
        #expect(server.components.hub.current("app").count == 0)
    }

    @Test func aSignedGitHubPushRecordsItsRefCommitAndPusher() async throws {
        let server = try await TestServer()
        let body = """
            {"ref": "refs/heads/main", "before": "0000", "after": "9f3c2a1b", "pusher": {"name": "octocat",
             "email": "o@example.com"}, "head_commit": {"id": "ignored-when-after-is-there"}, "params": {"x": "y"}}
            """
        let signature = Authenticator(secret: TestServer.secret).hubSignature(for: Array(body.utf8))
        let response = try await server.send(
            .POST, "/v1/triggers/app", headers: [("X-Hub-Signature-256", signature), ("X-GitHub-Event", "push")],
            body: body)
        #expect(response.status == 200, "\(response.text)")
        let release = try #require(try Self.decode(TriggerState.self, response).release)
        #expect(release.source == .github)
        #expect(release.forge == ForgePush(ref: "refs/heads/main", commit: "9f3c2a1b", pusher: "octocat"))
        #expect(release.params == [:], "a webhook body is the forge's payload, not an IncrementRequest")
        #expect(release.requestedBy == nil)
    }

    @Test func aGiteaPushIsRecordedAsGiteaAndHeadCommitStandsInForAfter() async throws {
        let server = try await TestServer()
        let body = #"{"ref": "refs/tags/v2", "head_commit": {"id": "abc123"}, "pusher": {"name": "gitea-user"}}"#
        let signature = Authenticator(secret: TestServer.secret).hubSignature(for: Array(body.utf8))
        let response = try await server.send(
            .POST, "/v1/triggers/app", headers: [("X-Hub-Signature-256", signature), ("X-Gitea-Event", "push")],
            body: body)
        let release = try #require(try Self.decode(TriggerState.self, response).release)
        #expect(release.source == .gitea)
        #expect(release.forge == ForgePush(ref: "refs/tags/v2", commit: "abc123", pusher: "gitea-user"))
    }

    @Test func aGitHubFormEncodedPushIsReadFromItsPayloadField() async throws {
        let server = try await TestServer()
        let json = #"{"ref":"refs/heads/main","after":"cafe","pusher":{"name":"a b"}}"#
        let body = "payload=" + json.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let signature = Authenticator(secret: TestServer.secret).hubSignature(for: Array(body.utf8))
        let response = try await server.send(
            .POST, "/v1/triggers/app",
            headers: [("X-Hub-Signature-256", signature), ("Content-Type", "application/x-www-form-urlencoded")],
            body: body)
        let release = try #require(try Self.decode(TriggerState.self, response).release)
        #expect(release.forge == ForgePush(ref: "refs/heads/main", commit: "cafe", pusher: "a b"))
    }

    @Test func rawJSONLabelledAsAFormIsStillRead() async throws {
        // `curl -d '{...}'` sends JSON with Content-Type application/x-www-form-urlencoded.
        let server = try await TestServer()
        let body = #"{"ref": "refs/heads/main", "after": "beef", "pusher": {"name": "ci"}}"#
        let signature = Authenticator(secret: TestServer.secret).hubSignature(for: Array(body.utf8))
        let response = try await server.send(
            .POST, "/v1/triggers/app",
            headers: [("X-Hub-Signature-256", signature), ("Content-Type", "application/x-www-form-urlencoded")],
            body: body)
        let release = try #require(try Self.decode(TriggerState.self, response).release)
        #expect(release.forge == ForgePush(ref: "refs/heads/main", commit: "beef", pusher: "ci"))
    }

    @Test func aGitLabPushRecordsItsCheckoutSHAAndUser() async throws {
        let server = try await TestServer()
        let body = """
            {"object_kind": "push", "ref": "refs/heads/main", "after": "older", "checkout_sha": "da1560886d",
             "user_username": "jsmith"}
            """
        let response = try await server.send(
            .POST, "/v1/triggers/app", headers: [("X-Gitlab-Token", TestServer.secret)], body: body)
        #expect(response.status == 200, "\(response.text)")
        let release = try #require(try Self.decode(TriggerState.self, response).release)
        #expect(release.source == .gitlab)
        #expect(release.forge == ForgePush(ref: "refs/heads/main", commit: "da1560886d", pusher: "jsmith"))
    }

    @Test(arguments: ["", "[1, 2]", "not json at all", #"{"ref": 5, "pusher": "not-an-object"}"#])
    func aWebhookPayloadThatSaysNothingStillIncrements(body: String) async throws {
        let server = try await TestServer()
        let signature = Authenticator(secret: TestServer.secret).hubSignature(for: Array(body.utf8))
        let github = try await server.send(
            .POST, "/v1/triggers/app", headers: [("X-Hub-Signature-256", signature)], body: body)
        #expect(github.status == 200, "\(github.text)")
        #expect(try Self.decode(TriggerState.self, github).release?.forge == ForgePush())
        let gitlab = try await server.send(
            .POST, "/v1/triggers/app", headers: [("X-Gitlab-Token", TestServer.secret)], body: body)
        #expect(gitlab.status == 200, "\(gitlab.text)")
        #expect(try Self.decode(TriggerState.self, gitlab).release?.source == .gitlab)
        #expect(server.components.hub.current("app").count == 2)
    }

    @Test func theOriginalProtocolsIncrementMakesACompatReleaseAndAnswersAsBefore() async throws {
        let server = try await TestServer()
        let response = try await server.send(
            .POST, "/trigger", body: #"{"secret": "test-secret", "trigger": "app"}"#)
        #expect(response.status == 200)
        #expect(Set(try response.json().keys) == ["trigger", "count"])
        let release = try Self.decode(
            Release.self, try await server.send(.GET, "/v1/triggers/app/releases/1", bearer: true))
        #expect(release.source == .compat)
        #expect(release.params == [:])
        #expect(release.requestedBy == "secret")
    }

    @Test func theLongPollCarriesTheCurrentRelease() async throws {
        let server = try await TestServer()
        let epoch = server.components.store.epoch
        _ = try await server.send(.POST, "/v1/triggers/app", body: #"{"params": {"version": "1"}}"#, bearer: true)
        let atOnce = try await server.send(.GET, "/v1/triggers/app?after=0&epoch=\(epoch)&wait=30", bearer: true)
        #expect(try Self.decode(TriggerState.self, atOnce).release?.params == ["version": "1"])
        async let poll = server.send(.GET, "/v1/triggers/app?after=1&epoch=\(epoch)&wait=30", bearer: true)
        try await eventually("the long poll to be open") {
            server.components.hub.watcherCounts()["app", default: 0] >= 1
        }
        _ = try await server.send(.POST, "/v1/triggers/app", body: #"{"params": {"version": "2"}}"#, bearer: true)
        let woken = try Self.decode(TriggerState.self, try await poll)
        #expect(woken.count == 2)
        #expect(woken.release?.params == ["version": "2"])
        #expect(woken.release?.count == 2)
        let list = try Self.decode(TriggerList.self, try await server.send(.GET, "/v1/triggers", bearer: true))
        #expect(list.triggers.first?.release?.params == ["version": "2"])
    }

    @Test func theHistoryIsPagedNewestFirstWithOutcomes() async throws {
        let server = try await TestServer()
        for version in 1...5 {
            _ = try await server.send(
                .POST, "/v1/triggers/app", body: #"{"params": {"version": "\#(version)"}}"#, bearer: true)
        }
        try await Self.report(server, agent: "web-1", count: 4, status: "succeeded")
        try await Self.report(server, agent: "web-2", count: 4, status: "failed")
        let first = try Self.decode(
            ReleaseList.self, try await server.send(.GET, "/v1/triggers/app/releases?limit=2", bearer: true))
        #expect(first.releases.map(\.count) == [5, 4])
        #expect(first.releases.map(\.params) == [["version": "5"], ["version": "4"]])
        #expect(first.releases[1].outcome == ReleaseOutcome(succeeded: 1, failed: 1))
        #expect(first.releases[0].outcome == ReleaseOutcome())
        #expect(first.nextBefore == 4)
        let rest = try Self.decode(
            ReleaseList.self, try await server.send(.GET, "/v1/triggers/app/releases?before=4", bearer: true))
        #expect(rest.releases.map(\.count) == [3, 2, 1])
        #expect(rest.nextBefore == nil)
        let all = try await server.send(.GET, "/v1/triggers/app/releases", bearer: true)
        #expect(try Self.decode(ReleaseList.self, all).releases.count == 5)
        #expect(try all.json().keys.contains("next_before"))
        let unknown = try Self.decode(
            ReleaseList.self, try await server.send(.GET, "/v1/triggers/nobody/releases", bearer: true))
        #expect(unknown.releases.isEmpty)
    }

    @Test(arguments: [
        ("/v1/triggers/app/releases?limit=0", 422, "limit"), ("/v1/triggers/app/releases?limit=101", 422, "limit"),
        ("/v1/triggers/app/releases?limit=x", 422, "limit"), ("/v1/triggers/app/releases?before=0", 422, "before"),
        ("/v1/triggers/app/releases?before=-3", 422, "before"), ("/v1/triggers/app/releases/abc", 422, "count"),
        ("/v1/triggers/app/releases/0", 422, "count"), ("/v1/triggers/app/releases/2", 404, "#2"),
        ("/v1/triggers/nobody/releases/1", 404, "never been incremented"), ("/v1/triggers/..%2F/releases", 422, "'/'"),
    ])
    func badHistoryRequestsSayWhatIsWrong(uri: String, status: Int, says: String) async throws {
        let server = try await TestServer()
        _ = try await server.send(.POST, "/v1/triggers/app", bearer: true)
        let response = try await server.send(.GET, uri, bearer: true)
        #expect(response.status == status, "\(response.text)")
        #expect((try response.json()["detail"] as? String)?.contains(says) == true, "\(response.text)")
        if status == 404 {
            // Unlike a server without releases, whose 404 for these paths is not_found (no route).
            #expect(try response.json()["error"] as? String == "no_release")
        }
    }

    @Test func webhookCredentialsDoNotReadHistoryOrRollBack() async throws {
        let server = try await TestServer()
        _ = try await server.send(.POST, "/v1/triggers/app", bearer: true)
        let gitlab = [("X-Gitlab-Token", TestServer.secret)]
        #expect(try await server.send(.GET, "/v1/triggers/app/releases", headers: gitlab).status == 403)
        #expect(
            try await server.send(.POST, "/v1/triggers/app/rollback", headers: gitlab, body: #"{"to": 1}"#).status
                == 403)
        #expect(try await server.send(.GET, "/v1/triggers/app/releases").status == 401)
        #expect(server.components.hub.current("app").count == 1)
    }

    @Test func aRollbackToACountCopiesItsParams() async throws {
        let server = try await TestServer()
        for version in ["1.0", "2.0"] {
            _ = try await server.send(
                .POST, "/v1/triggers/app", body: #"{"params": {"version": "\#(version)"}, "note": "v\#(version)"}"#,
                bearer: true)
        }
        let response = try await server.send(.POST, "/v1/triggers/app/rollback", body: #"{"to": 1}"#, bearer: true)
        #expect(response.status == 200, "\(response.text)")
        let state = try Self.decode(TriggerState.self, response)
        #expect(state.count == 3)
        #expect(state.epoch == server.components.store.epoch)
        let release = try #require(state.release)
        #expect(release.params == ["version": "1.0"])
        #expect(release.rollbackOf == 1)
        #expect(release.source == .api)
        #expect(release.note == "Rollback to #1")
        #expect(server.components.hub.current("app").release?.rollbackOf == 1)
        let noted = try await server.send(
            .POST, "/v1/triggers/app/rollback", body: #"{"to": 2, "note": "2.0 again"}"#, bearer: true)
        #expect(try Self.decode(TriggerState.self, noted).release?.note == "2.0 again")
    }

    @Test func aRollbackToPreviousSkipsReleasesThatFailedSomewhere() async throws {
        let server = try await TestServer()
        for version in ["1", "2", "3"] {
            _ = try await server.send(
                .POST, "/v1/triggers/app", body: #"{"params": {"version": "\#(version)"}}"#, bearer: true)
        }
        try await Self.report(server, agent: "web-1", count: 1, status: "succeeded")
        try await Self.report(server, agent: "web-1", count: 2, status: "succeeded")
        try await Self.report(server, agent: "web-2", count: 2, status: "cancelled")
        try await Self.report(server, agent: "web-1", count: 3, status: "failed")
        let response = try await server.send(
            .POST, "/v1/triggers/app/rollback", body: #"{"to": "previous"}"#, bearer: true)
        #expect(response.status == 200, "\(response.text)")
        let release = try #require(try Self.decode(TriggerState.self, response).release)
        #expect(release.rollbackOf == 1)
        #expect(release.params == ["version": "1"])
        #expect(release.note == "Rollback to #1 (previous)")
    }

    @Test(arguments: [
        (#"{"to": "previous"}"#, 409, "roll back to a count"), (#"{"to": 7}"#, 422, "#7"),
        (#"{"to": 0}"#, 422, "to"), (#"{"to": "latest"}"#, 422, "to"), (#"{"to": 1.5}"#, 422, "to"),
        (#"{"note": "x"}"#, 422, "'to'"), ("", 400, "\"to\""), ("{", 400, "line 1"),
        (#"{"to": 1, "note": "\#(String(repeating: "n", count: 1025))"}"#, 422, "note"),
    ])
    func aRollbackThatCannotBeDoneSaysWhyAndRecordsNothing(body: String, status: Int, says: String) async throws {
        let server = try await TestServer()
        _ = try await server.send(.POST, "/v1/triggers/app", bearer: true)
        _ = try await server.send(.POST, "/v1/triggers/app", bearer: true)
        try await Self.report(server, agent: "web-1", count: 1, status: "failed")
        let response = try await server.send(.POST, "/v1/triggers/app/rollback", body: body, bearer: true)
        #expect(response.status == status, "\(response.text)")
        #expect((try response.json()["detail"] as? String)?.contains(says) == true, "\(response.text)")
        #expect(server.components.hub.current("app").count == 2)
        #expect(try await server.components.store.releases(trigger: "app", before: nil, limit: 10).releases.count == 2)
    }

    @Test func aRollbackWithWaitAnswersWithTheRunsOfTheNewCount() async throws {
        let server = try await TestServer()
        _ = try await server.send(.POST, "/v1/triggers/app", body: #"{"params": {"version": "1"}}"#, bearer: true)
        _ = try await server.send(.POST, "/v1/triggers/app", body: #"{"params": {"version": "2"}}"#, bearer: true)
        _ = try await server.send(.GET, "/v1/triggers/app", headers: [("X-Prostagma-Agent", "web-1")], bearer: true)
        async let outcome = server.send(.POST, "/v1/triggers/app/rollback?wait=30", body: #"{"to": 1}"#, bearer: true)
        try await eventually("the rollback's count") { server.components.hub.current("app").count >= 3 }
        #expect(server.components.hub.current("app").release?.params == ["version": "1"])
        try await Self.report(server, agent: "web-1", count: 3, status: "succeeded")
        let answer = try await outcome
        #expect(answer.status == 200, "\(answer.text)")
        let deploy = try Self.decode(DeployOutcome.self, answer)
        #expect(deploy.count == 3)
        #expect(deploy.runs.map(\.agent) == ["web-1"])
        #expect(deploy.pending == [])
        let timedOut = try await server.send(
            .POST, "/v1/triggers/app/rollback?wait=0.05", body: #"{"to": 2}"#, bearer: true)
        #expect(timedOut.status == 504)
        #expect(try Self.decode(DeployOutcome.self, timedOut).pending == ["web-1"])
        let badWait = try await server.send(
            .POST, "/v1/triggers/app/rollback?wait=x", body: #"{"to": 2}"#, bearer: true)
        #expect(badWait.status == 400)
        #expect(server.components.hub.current("app").count == 4)
    }
}
