import Foundation
import HTTPCore
import Testing

@testable import ServerCore

/// Every bad input gets a 4xx with a JSON error that says something; none gets a 5xx.
@Suite(.timeLimit(.minutes(2))) struct BadInputTests {
    struct Case: Sendable, CustomStringConvertible {
        let method: HTTPMethod
        let uri: String
        let headers: [(String, String)]
        let body: String?
        let status: Int
        var description: String { "\(method.rawValue) \(uri) \(body?.prefix(40) ?? "")" }

        init(
            _ method: HTTPMethod, _ uri: String, _ headers: [(String, String)] = [], _ body: String? = nil,
            _ status: Int
        ) {
            self.method = method
            self.uri = uri
            self.headers = headers
            self.body = body
            self.status = status
        }
    }

    static let bearer = ("Authorization", "Bearer \(TestServer.secret)")
    static let cases: [Case] = [
        Case(.POST, "/trigger", [], nil, 400),
        Case(.POST, "/trigger", [], "", 400),
        Case(.POST, "/trigger", [], "null", 400),
        Case(.POST, "/trigger", [], "[]", 400),
        Case(.POST, "/trigger", [], "{", 400),
        Case(.POST, "/trigger", [], #"{"secret": "test-secret"}"#, 400),
        Case(.POST, "/trigger", [], #"{"secret": "test-secret", "trigger": 7}"#, 400),
        Case(.POST, "/trigger", [], #"{"secret": 7, "trigger": "a"}"#, 400),
        Case(.POST, "/trigger", [], #"{"secret": "test-secret", "trigger": ""}"#, 422),
        Case(.POST, "/trigger", [], #"{"secret": "test-secret", "trigger": "a/b"}"#, 422),
        Case(
            .POST, "/trigger", [], #"{"secret": "test-secret", "trigger": "\#(String(repeating: "x", count: 129))"}"#,
            422),
        Case(.POST, "/trigger", [], String(repeating: " ", count: 70_000), 413),
        Case(.POST, "/trigger", [], String(repeating: "[", count: 50_000), 400),
        Case(.POST, "/trigger", [], "\u{FEFF}{}", 400),
        Case(.GET, "/trigger", [], #"{"secret": "test-secret", "trigger": "a b"}"#, 422),
        Case(.POST, "/cache", [], #"{"secret": "test-secret", "url": "file:///etc/passwd"}"#, 422),
        Case(.POST, "/cache", [], #"{"secret": "test-secret", "url": "ftp://x/y"}"#, 422),
        Case(.POST, "/cache/s3", [], #"{"secret": "test-secret", "url": "https://x/y"}"#, 422),
        Case(.GET, "/cache", [], #"{"secret": "test-secret", "url": "https://example.com/never-cached"}"#, 404),
        Case(.GET, "/cache", [], #"{"secret": "bad", "url": "https://example.com/x"}"#, 403),
        Case(.POST, "/v1/triggers/a%2Fb", [bearer], nil, 422),
        Case(.POST, "/v1/triggers/%C3%A9", [bearer], nil, 422),
        Case(.POST, "/v1/triggers/a?wait=-1", [bearer], nil, 400),
        Case(.POST, "/v1/triggers/a?wait=abc", [bearer], nil, 400),
        Case(.POST, "/v1/triggers/a?wait=nan", [bearer], nil, 400),
        Case(.GET, "/v1/triggers/a?after=x", [bearer], nil, 400),
        Case(.GET, "/v1/triggers/a?after=99999999999999999999", [bearer], nil, 400),
        Case(.GET, "/v1/triggers/a?wait=inf", [bearer], nil, 400),
        Case(.GET, "/v1/triggers/a", [bearer, ("X-Prostagma-Poll-Interval", "-5")], nil, 400),
        Case(.GET, "/v1/triggers/a", [bearer, ("X-Prostagma-Agent", String(repeating: "a", count: 300))], nil, 400),
        Case(.GET, "/v1/triggers/a", [("Authorization", "Basic")], nil, 403),
        Case(.GET, "/v1/triggers/a", [("Authorization", "")], nil, 403),
        Case(.GET, "/v1/triggers/a", [("X-Hub-Signature-256", "sha256=")], nil, 403),
        Case(.GET, "/v1/artifacts", [bearer], nil, 400),
        Case(.GET, "/v1/artifacts?url=", [bearer], nil, 400),
        Case(.GET, "/v1/artifacts?url=file:///etc/passwd", [bearer], nil, 422),
        Case(.GET, "/v1/artifacts?url=http://127.0.0.1:1/x&cache=maybe", [bearer], nil, 400),
        Case(.GET, "/v1/artifacts?url=http://127.0.0.1/../x", [bearer], nil, 422),
        Case(.POST, "/v1/runs", [bearer], "{}", 400),
        Case(.POST, "/v1/runs", [bearer], #"{"agent": "a", "trigger": "t", "count": -1, "status": "failed"}"#, 422),
        Case(.POST, "/v1/runs", [bearer], #"{"agent": "", "trigger": "t", "count": 1, "status": "failed"}"#, 422),
        Case(.POST, "/v1/runs", [bearer], #"{"agent": "a", "trigger": "t", "count": 1.5, "status": "failed"}"#, 400),
        Case(
            .POST, "/v1/runs", [bearer], #"{"agent": "a", "trigger": "t", "count": 1, "status": "failed", "steps": 3}"#,
            400),
        Case(.GET, "/v1/runs?limit=0", [bearer], nil, 400),
        Case(.GET, "/v1/runs?limit=x", [bearer], nil, 400),
        Case(.GET, "/v1/runs?trigger=a%20b", [bearer], nil, 422),
        Case(.PUT, "/v1/triggers/a", [bearer], nil, 405),
        Case(.GET, "/v1/nothing", [bearer], nil, 404),
    ]

    @Test(arguments: cases)
    func badInputGetsAClear4xx(_ input: Case) async throws {
        let server = try await TestServer()
        let response = try await server.send(input.method, input.uri, headers: input.headers, body: input.body)
        #expect(response.status == input.status, "\(input): \(response.text)")
        let json = try response.json()
        #expect((json["detail"] as? String)?.isEmpty == false, "\(input): \(response.text)")
    }
}
