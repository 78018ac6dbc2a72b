import Foundation
import HTTPCore
import ProstagmaProtocol
import Testing

@testable import ServerCore

/// The status page's rollout view and its buttons: POST forms that carry a CSRF token, refused with 403 without
/// one or with a wrong one.
@Suite(.timeLimit(.minutes(2))) struct StatusPageRolloutTests {
    static let now = Date(timeIntervalSince1970: 1_790_000_000)

    static func snapshot(_ rollout: Rollout, count: Int64? = nil, ungated: [OriginalPollers.Poller] = [])
        -> StatusSnapshot
    {
        StatusSnapshot(
            triggers: [TriggerState(trigger: "web", count: count ?? rollout.count, lastIncrement: now)], agents: [],
            runs: [], serverEpoch: "e", generatedAt: now, rollouts: ["web": rollout],
            ungated: ungated.isEmpty ? [:] : ["web": ungated], formToken: "1790000000.abc")
    }

    static func rollout(_ state: RolloutState, canary: Int = 0, places: [RolloutPlace]) -> Rollout {
        Rollout(
            trigger: "web", count: 2, state: state,
            policy: RolloutPolicy(maxParallel: .count(2), canary: canary),
            haltedBy: state == .halted ? "web-2" : nil,
            agents: places.enumerated().map { index, place in
                RolloutAgent(
                    name: "web-\(index + 1)", place: place, canary: index < canary,
                    admittedAt: place == .waiting ? nil : now, finishedAt: nil)
            }, startedAt: now, updatedAt: now)
    }

    /// The `action`s of the forms in `html`, in order.
    static func buttons(_ html: Substring) -> [String] {
        html.components(separatedBy: "action=\"/status/triggers/web/").dropFirst().map {
            String($0.prefix { $0 != "\"" })
        }
    }

    @Test func theViewShowsProgressEachAgentsPlaceAndWhoHalted() throws {
        let html = StatusPage.render(
            Self.snapshot(Self.rollout(.halted, places: [.succeeded, .failed, .waiting, .waiting])))
        let section = try #require(StatusPageTests.section("rollouts", of: html))
        #expect(section.contains("id=\"rollout-web\""))
        #expect(section.contains("web #2 <span class=\"badge failed\">halted</span>"))
        #expect(section.contains("<progress max=\"4\" value=\"2\">"))
        #expect(section.contains("2 of 4 agents finished (2 waiting, 1 succeeded, 1 failed)"))
        #expect(section.contains("halted by web-2's failed run"))
        #expect(section.contains("max_parallel 2"))
        #expect(section.contains("<td>web-3</td><td><span class=\"badge other\">waiting</span></td>"))
        #expect(section.contains("<tr class=\"failed\"><td>web-2</td>"))
        #expect(Self.buttons(section) == ["resume", "abort", "rollback"])
        #expect(section.contains("<input type=\"hidden\" name=\"csrf\" value=\"1790000000.abc\">"))
        #expect(section.components(separatedBy: "method=\"post\"").count - 1 == 3)
    }

    @Test(arguments: [
        (RolloutState.running, 0, [RolloutPlace.admitted, .waiting], ["pause", "abort", "rollback"]),
        (.paused, 1, [.succeeded, .waiting], ["resume", "promote", "abort", "rollback"]),
        (.running, 1, [.admitted, .waiting], ["pause", "promote", "abort", "rollback"]),
        (.succeeded, 0, [.succeeded, .succeeded], ["rollback"]),
        (.aborted, 0, [.succeeded, .waiting], ["rollback"]),
    ])
    func eachStateOffersTheButtonsItAllows(
        state: RolloutState, canary: Int, places: [RolloutPlace], expected: [String]
    ) throws {
        let html = StatusPage.render(Self.snapshot(Self.rollout(state, canary: canary, places: places)))
        #expect(Self.buttons(try #require(StatusPageTests.section("rollouts", of: html))) == expected)
    }

    @Test func originalProtocolPollersAreShownUngated() throws {
        let pollers = [OriginalPollers.Poller(address: "10.0.0.7", lastSeen: Self.now)]
        let html = StatusPage.render(
            Self.snapshot(Self.rollout(.running, places: [.admitted]), ungated: pollers))
        let section = try #require(StatusPageTests.section("rollouts", of: html))
        #expect(section.contains("<td>10.0.0.7 (original protocol)</td><td><span class=\"badge warn\">ungated</span>"))
    }

    @Test func theFormsMayPostOnlyToTheServerItself() {
        #expect(StatusPage.contentSecurityPolicy.contains("form-action 'self'"))
    }

    @Test func aTokenIsAcceptedByItsSecretForItsLifetimeOnly() {
        let token = StatusFormToken(secret: "s")
        let issued = token.issue(now: Self.now)
        #expect(token.accepts(issued, now: Self.now))
        #expect(token.accepts(issued, now: Self.now.addingTimeInterval(StatusFormToken.lifetime - 1)))
        #expect(!token.accepts(issued, now: Self.now.addingTimeInterval(StatusFormToken.lifetime + 1)))
        #expect(!token.accepts(issued, now: Self.now.addingTimeInterval(-120)), "issued in the future")
        #expect(!StatusFormToken(secret: "other").accepts(issued, now: Self.now))
        #expect(!token.accepts(nil, now: Self.now))
        #expect(!token.accepts("", now: Self.now))
        #expect(!token.accepts("1790000000", now: Self.now))
        let forged = issued.dropLast() + (issued.last == "0" ? "1" : "0")
        #expect(!token.accepts(String(forged), now: Self.now))
        #expect(!issued.contains("s."), "the token does not carry the secret")
    }

    // MARK: - The served page and its forms

    static let basic = ("authorization", "Basic " + Data("operator:\(TestServer.secret)".utf8).base64EncodedString())
    static let form = ("content-type", "application/x-www-form-urlencoded")

    /// A server whose trigger `app` has a rollout of #1 over agents a and b, max_parallel 1.
    static func serverWithRollout() async throws -> TestServer {
        let server = try await TestServer()
        try await RolloutRoutesTests.setPolicy(server, #"{"max_parallel": 1}"#)
        for agent in ["a", "b"] { _ = try await RolloutRoutesTests.poll(server, agent, after: 0) }
        #expect(try await server.send(.POST, "/v1/triggers/app", bearer: true).status == 200)
        return server
    }

    /// The CSRF token of the served page's first form.
    static func pageToken(_ server: TestServer) async throws -> String {
        let page = try await server.send(.GET, "/", headers: [basic])
        #expect(page.status == 200)
        let marker = "name=\"csrf\" value=\""
        let start = try #require(page.text.range(of: marker), "the page has a form")
        return String(page.text[start.upperBound...].prefix { $0 != "\"" })
    }

    @Test func thePagesPauseButtonPausesTheRolloutAndLeadsBack() async throws {
        let server = try await Self.serverWithRollout()
        let token = try await Self.pageToken(server)
        let answer = try await server.send(
            .POST, "/status/triggers/app/pause", headers: [Self.basic, Self.form], body: "csrf=\(token)&action=pause")
        #expect(answer.status == 303, "\(answer.text)")
        #expect(answer.headers.first(name: "location") == "/#rollout-app")
        #expect(try await RolloutRoutesTests.rollout(server).state == .paused)
        let page = try await server.send(.GET, "/", headers: [Self.basic])
        let section = try #require(StatusPageTests.section("rollouts", of: page.text))
        #expect(section.contains("<span class=\"badge warn\">paused</span>"))
        #expect(
            Self.buttons(section.replacingOccurrences(of: "/triggers/app/", with: "/triggers/web/")[...])
                == ["resume", "abort"])
    }

    @Test(arguments: [nil, "", "1790000000.0123", "garbage"])
    func aPostWithoutTheTokenOrWithAWrongOneIs403(token: String?) async throws {
        let server = try await Self.serverWithRollout()
        let answer = try await server.send(
            .POST, "/status/triggers/app/pause", headers: [Self.basic, Self.form],
            body: token.map { "csrf=\($0)" } ?? "action=pause")
        #expect(answer.status == 403, "\(answer.text)")
        #expect(answer.text.contains("CSRF token"), "\(answer.text)")
        #expect(try await RolloutRoutesTests.rollout(server).state == .running, "nothing was paused")
    }

    @Test func aTokenIssuedForAnotherSecretIs403() async throws {
        let server = try await Self.serverWithRollout()
        let token = StatusFormToken(secret: "another").issue(now: Date())
        let answer = try await server.send(
            .POST, "/status/triggers/app/abort", headers: [Self.basic, Self.form], body: "csrf=\(token)")
        #expect(answer.status == 403)
    }

    @Test func aPostWithoutThePagesCredentialsIs401EvenWithAToken() async throws {
        let server = try await Self.serverWithRollout()
        let token = try await Self.pageToken(server)
        let answer = try await server.send(
            .POST, "/status/triggers/app/pause", headers: [Self.form], body: "csrf=\(token)")
        #expect(answer.status == 401)
        #expect(answer.headers.first(name: "www-authenticate")?.hasPrefix("Basic") == true)
    }

    @Test func aRefusedActionSaysWhyWithTheRolloutsStatus() async throws {
        let server = try await Self.serverWithRollout()
        let token = try await Self.pageToken(server)
        let answer = try await server.send(
            .POST, "/status/triggers/app/resume", headers: [Self.basic, Self.form], body: "csrf=\(token)")
        #expect(answer.status == 409)
        #expect(answer.text.contains("only a paused or halted rollout can be resumed"), "\(answer.text)")
        let unknown = try await server.send(
            .POST, "/status/triggers/app/restart", headers: [Self.basic, Self.form], body: "csrf=\(token)")
        #expect(unknown.status == 404)
        #expect(unknown.text.contains("expected one of pause, resume, promote, abort, rollback"))
    }

    @Test func theRollbackButtonRedeploysThePreviousGoodRelease() async throws {
        let server = try await TestServer()
        _ = try await server.send(.POST, "/v1/triggers/app", body: #"{"params": {"v": "good"}}"#, bearer: true)
        let run = #"{"agent": "a", "trigger": "app", "count": 1, "status": "succeeded"}"#
        #expect(try await server.send(.POST, "/v1/runs", body: run, bearer: true).status == 201)
        _ = try await server.send(.POST, "/v1/triggers/app", body: #"{"params": {"v": "bad"}}"#, bearer: true)
        // No policy, so no rollout view; the button's token is the one any page of this server carries.
        let token = server.components.statusFormToken.issue(now: Date())
        let answer = try await server.send(
            .POST, "/status/triggers/app/rollback", headers: [Self.basic, Self.form], body: "csrf=\(token)")
        #expect(answer.status == 303, "\(answer.text)")
        let current = server.components.hub.current("app")
        #expect(current.count == 3 && current.release?.rollbackOf == 1 && current.release?.params == ["v": "good"])
        #expect(current.release?.requestedBy == "status page")
    }

    @Test func anOriginalProtocolPollIsListedUngated() async throws {
        let server = try await Self.serverWithRollout()
        let body = #"{"secret": "\#(TestServer.secret)", "trigger": "app"}"#
        #expect(try await server.send(.GET, "/trigger", body: body).status == 200)
        let page = try await server.send(.GET, "/", headers: [Self.basic])
        let section = try #require(StatusPageTests.section("rollouts", of: page.text))
        #expect(section.contains("(original protocol)</td><td><span class=\"badge warn\">ungated</span>"))
    }
}
