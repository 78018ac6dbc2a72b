import Foundation
import ProstagmaProtocol
import SystemSupport
import Testing

/// The status page's rollout view in headless Chromium: a canary rollout paused after its canary, each agent's
/// place, an original-protocol poller shown as ungated, and the buttons as POST forms whose CSRF token the server
/// checks (403 without it or with a wrong one). Screenshots: `rollout-paused.png`, `rollout-succeeded.png`.
@Suite("Rollout view of the status page in a browser", .timeLimit(.minutes(5)))
struct RolloutStatusPageTests {
    @Test func theRolloutViewShowsEachAgentsPlaceAndItsButtonsNeedTheToken() async throws {
        try await SystemHarness.run { harness in
            let server = try await harness.startServer()
            let policy = try await HTTP.request(
                "PUT", server.baseURL + "/v1/triggers/web/policy",
                headers: server.bearer.merging(["Content-Type": "application/json"]) { $1 },
                body: Data(#"{"canary": 1, "max_parallel": 1}"#.utf8))
            try #require(policy.status == 200, "PUT policy: \(policy.text)")
            for name in ["web-1", "web-2", "web-3"] {
                _ = try await harness.startAgent(
                    name, server: server, trigger: "web", script: "steps:\n  - shell: echo \(name) deployed\n")
            }
            try await server.waitForWatchers("web", count: 3)
            // An agent on the original protocol: GET /trigger with the secret in its body.
            let original = try await HTTP.request(
                "GET", server.baseURL + "/trigger",
                body: Data(#"{"secret": "\#(server.secret)", "trigger": "web"}"#.utf8))
            #expect(original.status == 200, "\(original.text)")
            _ = try await server.trigger("web")
            try await Poll.check("the rollout to pause after its canary", timeout: .seconds(30)) {
                try await server.get("/v1/triggers/web/rollout").json?["state"] as? String == "paused"
            }

            let url = StatusPageTests.pageURL(server)
            let dom = try await HeadlessChromium.dumpDOM(url, in: harness, name: "paused")
            try FileSystem.write(dom, to: harness.path("rollout-paused.dom.html"))
            let view = try #require(Self.rolloutView(dom), "a rollout view for web")
            #expect(view.contains("web #1"))
            #expect(view.contains(">paused<"))
            #expect(view.contains("1 of 3 agents finished (2 waiting, 1 succeeded)"), "\(view)")
            #expect(view.contains("<td>web-1</td><td><span class=\"badge ok\">succeeded</span></td><td>canary</td>"))
            #expect(view.contains("<td>web-2</td><td><span class=\"badge other\">waiting</span></td>"))
            #expect(view.contains("127.0.0.1 (original protocol)"))
            #expect(view.contains(">ungated<"))
            for button in ["Resume", "Promote", "Abort"] { #expect(view.contains(">\(button)</button>"), "\(button)") }
            #expect(!view.contains(">Pause</button>"), "a paused rollout offers no Pause")
            let png = harness.path("rollout-paused.png")
            try await HeadlessChromium.screenshot(url, to: png, in: harness)
            #expect(try Data(contentsOf: png).starts(with: [0x89, 0x50, 0x4E, 0x47]))

            // The Promote form as the browser has it: its action and token.
            let token = try #require(Self.token(in: view), "the forms carry a CSRF token")
            #expect(view.contains("action=\"/status/triggers/web/promote\""))
            let basic = "Basic " + Data("operator:\(server.secret)".utf8).base64EncodedString()
            func post(_ body: String?, authorization: String?) async throws -> HTTPResponse {
                var headers = ["Content-Type": "application/x-www-form-urlencoded"]
                headers["Authorization"] = authorization
                return try await HTTP.request(
                    "POST", server.baseURL + "/status/triggers/web/promote", headers: headers,
                    body: body.map { Data($0.utf8) })
            }
            // A forged post (another site's form: the browser would add the Basic credentials, not the token).
            let missing = try await post("action=promote", authorization: basic)
            #expect(missing.status == 403, "\(missing.status) \(missing.text)")
            let forged = token.dropLast() + (token.hasSuffix("0") ? "1" : "0")
            let wrong = try await post("csrf=\(forged)&action=promote", authorization: basic)
            #expect(wrong.status == 403, "\(wrong.status) \(wrong.text)")
            let anonymous = try await post("csrf=\(token)&action=promote", authorization: nil)
            #expect(anonymous.status == 401)
            #expect(
                try await server.get("/v1/triggers/web/rollout").json?["state"] as? String == "paused",
                "the refused posts changed nothing")

            let promoted = try await post("csrf=\(token)&action=promote", authorization: basic)
            #expect(promoted.status == 303, "\(promoted.status) \(promoted.text)")
            #expect(promoted.headers["location"] == "/#rollout-web")
            try await Poll.check("the rollout to succeed", timeout: .seconds(30)) {
                try await server.get("/v1/triggers/web/rollout").json?["state"] as? String == "succeeded"
            }
            let done = try await HeadlessChromium.dumpDOM(url, in: harness, name: "succeeded")
            try FileSystem.write(done, to: harness.path("rollout-succeeded.dom.html"))
            let finished = try #require(Self.rolloutView(done))
            #expect(finished.contains("3 of 3 agents finished (3 succeeded)"), "\(finished)")
            #expect(finished.contains(">Rollback</button>") == false, "one release: nothing to roll back to")
            try await HeadlessChromium.screenshot(url, to: harness.path("rollout-succeeded.png"), in: harness)
        }
    }

    /// The `<div id="rollout-web">` of a page.
    static func rolloutView(_ dom: String) -> String? {
        guard let start = dom.range(of: "id=\"rollout-web\"") else { return nil }
        let rest = dom[start.lowerBound...]
        return String(rest[..<(rest.range(of: "</section>")?.lowerBound ?? rest.endIndex)])
    }

    /// The first `csrf` hidden field's value.
    static func token(in html: String) -> String? {
        guard let start = html.range(of: "name=\"csrf\" value=\"") else { return nil }
        return String(html[start.upperBound...].prefix { $0 != "\"" })
    }
}
