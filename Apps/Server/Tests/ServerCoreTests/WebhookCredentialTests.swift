import Foundation
import HTTPCore
import Logging
import ProstagmaProtocol
import Synchronization
import Testing

@testable import ServerCore

@Suite(.timeLimit(.minutes(3))) struct WebhookCredentialTests {
    static let signedEmpty = Authenticator(secret: TestServer.secret).hubSignature(for: [])

    /// Issue 19 item 11: a signature over an empty body, or the GitLab token, read every route.
    @Test(arguments: [
        [("X-Hub-Signature-256", signedEmpty)], [("X-Gitlab-Token", TestServer.secret)],
    ])
    func webhookCredentialsOnlyIncrement(credential: [(String, String)]) async throws {
        let server = try await TestServer()
        for path in ["/v1/runs", "/v1/agents", "/v1/triggers", "/v1/triggers/web", "/", "/v1/triggers/web/releases"] {
            let response = try await server.send(.GET, path, headers: credential)
            #expect(response.status == 403, "GET \(path): \(response.text)")
            #expect(response.text.contains("only authorizes POST /v1/triggers/{name}"), "\(path): \(response.text)")
        }
        let increment = try await server.send(.POST, "/v1/triggers/web", headers: credential)
        #expect(increment.status == 200, "\(increment.text)")
        #expect(try await server.send(.GET, "/v1/runs", bearer: true).status == 200)
    }

    /// A captured delivery replayed (to the same or another trigger) is refused; a new delivery id counts.
    @Test func aRepeatedDeliveryIsRefusedOnAnyTrigger() async throws {
        let server = try await TestServer()
        let body = #"{"ref": "refs/heads/main", "after": "abc"}"#
        let signature = Authenticator(secret: TestServer.secret).hubSignature(for: Array(body.utf8))
        func deliver(_ trigger: String, _ id: String) async throws -> TestServer.Response {
            try await server.send(
                .POST, "/v1/triggers/\(trigger)",
                headers: [("X-Hub-Signature-256", signature), ("X-GitHub-Delivery", id)], body: body)
        }
        #expect(try await deliver("web", "d-1").status == 200)
        let replay = try await deliver("web", "d-1")
        #expect(replay.status == 409)
        #expect(try replay.json()["error"] as? String == "replayed_delivery")
        #expect(replay.text.contains("x-github-delivery 'd-1' was already accepted"), "\(replay.text)")
        #expect(try await deliver("db", "d-1").status == 409)
        #expect(try await deliver("web", "d-2").status == 200)
        #expect(server.components.hub.current("web").count == 2)
        #expect(server.components.hub.current("db").count == 0)

        let gitlab = [("X-Gitlab-Token", TestServer.secret), ("X-Gitlab-Event-UUID", "u-1")]
        #expect(try await server.send(.POST, "/v1/triggers/web", headers: gitlab).status == 200)
        #expect(try await server.send(.POST, "/v1/triggers/api", headers: gitlab).status == 409)
        // The shared secret is not a forge delivery: its requests are never deduplicated.
        let bearer = [("X-GitHub-Delivery", "d-1")]
        #expect(try await server.send(.POST, "/v1/triggers/web", headers: bearer, bearer: true).status == 200)
    }

    @Test func theDeliveryLogForgetsAfterItsWindow() {
        let log = DeliveryLog()
        let start = Date(timeIntervalSince1970: 1_000_000)
        #expect(log.claim("a", now: start) == nil)
        #expect(log.claim("a", now: start + 60) == start)
        #expect(log.claim("a", now: start + DeliveryLog.window + 1) == nil)
        log.release("a")
        #expect(log.claim("a", now: start + DeliveryLog.window + 2) == nil)
    }
}
