import Foundation
import HTTPCore
import Testing

@testable import ServerCore

/// Walks every path and method of the served OpenAPI document against the server.
@Suite(.timeLimit(.minutes(2))) struct OpenAPITests {
    struct Operation: Sendable, CustomStringConvertible {
        let path: String
        let method: String
        let statuses: Set<Int>
        var description: String { "\(method.uppercased()) \(path)" }
    }

    /// Reads paths, methods and documented response codes from the document's indentation structure.
    static func operations(in document: String) -> [Operation] {
        var operations: [Operation] = []
        var inPaths = false
        var path: String?
        var method: String?
        var statuses: Set<Int> = []
        func flush() {
            if let path, let method { operations.append(Operation(path: path, method: method, statuses: statuses)) }
            method = nil
            statuses = []
        }
        for line in document.split(separator: "\n", omittingEmptySubsequences: true) {
            let indent = line.prefix(while: { $0 == " " }).count
            let text = line.trimmingCharacters(in: .whitespaces)
            if indent == 0 {
                flush()
                inPaths = text == "paths:"
                continue
            }
            guard inPaths else { continue }
            if indent == 2, text.hasSuffix(":") {
                flush()
                path = String(text.dropLast())
            } else if indent == 4, ["get:", "post:", "head:", "put:", "delete:"].contains(text) {
                flush()
                method = String(text.dropLast())
            } else if indent == 8, method != nil, text.hasPrefix("\""), let code = Int(text.dropFirst().prefix(3)) {
                statuses.insert(code)
            }
        }
        flush()
        return operations
    }

    static let documented = operations(in: ServerRoutes.openAPIDocument)

    @Test func theEmbeddedDocumentIsTheYAMLFileInTheRepository() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/ServerCore/Resources/openapi.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(
            text == ServerRoutes.openAPIDocument,
            "openapi.yaml changed without Tools/embed-openapi.sh: the binary would serve a stale document")
        #expect(text.hasPrefix("openapi: 3."))
    }

    @Test func theDocumentListsTheAPI() {
        let names = Set(Self.documented.map(\.description))
        for expected in [
            "POST /trigger", "GET /trigger", "POST /cache", "GET /cache", "POST /cache/s3", "GET /metrics",
            "GET /healthz", "GET /openapi.yaml", "GET /v1/triggers", "POST /v1/triggers/{name}",
            "GET /v1/triggers/{name}", "GET /v1/artifacts", "HEAD /v1/artifacts", "POST /v1/runs", "GET /v1/runs",
            "GET /v1/agents", "GET /v1/triggers/{name}/releases", "GET /v1/triggers/{name}/releases/{count}",
            "POST /v1/triggers/{name}/rollback", "PUT /v1/triggers/{name}/policy", "GET /v1/triggers/{name}/policy",
            "DELETE /v1/triggers/{name}/policy", "GET /v1/triggers/{name}/rollout",
            "POST /v1/triggers/{name}/rollout/pause", "POST /v1/triggers/{name}/rollout/resume",
            "POST /v1/triggers/{name}/rollout/promote", "POST /v1/triggers/{name}/rollout/abort",
            "POST /status/triggers/{name}/{action}",
        ] {
            #expect(names.contains(expected), "missing \(expected)")
        }
        #expect(Self.documented.allSatisfy { !$0.statuses.isEmpty })
    }

    static func body(for operation: Operation) -> String? {
        switch (operation.method, operation.path) {
        case (_, "/trigger"): return #"{"secret": "test-secret", "trigger": "app"}"#
        case ("get", "/cache"): return #"{"secret": "test-secret", "url": "http://127.0.0.1:1/x"}"#
        case (_, "/cache"): return #"{"secret": "test-secret", "url": "http://127.0.0.1:1/x"}"#
        case (_, "/cache/s3"): return #"{"secret": "test-secret", "url": "s3://bucket/key"}"#
        case ("post", "/v1/runs"): return #"{"agent": "a", "trigger": "app", "count": 1, "status": "succeeded"}"#
        case ("post", "/v1/triggers/{name}"): return #"{"params": {"version": "1.4.2"}, "note": "from CI"}"#
        case ("post", "/v1/triggers/{name}/rollback"): return #"{"to": 1}"#
        case ("put", "/v1/triggers/{name}/policy"): return #"{"max_parallel": "20%", "canary": 1}"#
        default: return nil
        }
    }

    @Test(arguments: documented)
    func everyOperationExistsAndAnswersAsDocumented(_ operation: Operation) async throws {
        let server = try await TestServer(upstreamTimeout: .seconds(5))
        var uri = operation.path.replacingOccurrences(of: "{name}", with: "app")
            .replacingOccurrences(of: "{count}", with: "1")
        if operation.path == "/v1/artifacts" { uri += "?url=http%3A%2F%2F127.0.0.1%3A1%2Fx" }
        let method = HTTPMethod(rawValue: operation.method.uppercased())
        let response = try await server.send(method, uri, body: Self.body(for: operation), bearer: true)
        #expect(response.status != 404 || operation.statuses.contains(404), "\(operation): no route")
        #expect(response.status != 405, "\(operation): method not routed")
        #expect(
            operation.statuses.contains(response.status), "\(operation) answered \(response.status): \(response.text)")
        if let body = Self.body(for: operation) {
            let schema = try #require(Self.spec.requestSchema(operation.method, operation.path))
            #expect(Self.spec.violations(ofJSON: Array(body.utf8), against: schema) == [], "\(operation)'s request")
        }
        expectConforms(response, operation.method, operation.path)
    }

    // MARK: - Bodies against the document

    static let spec = OpenAPISpec.served

    /// Checks that `response` is documented for `method path` and, where the document gives a JSON schema for its
    /// status, that the body conforms to it.
    func expectConforms(
        _ response: TestServer.Response, _ method: String, _ path: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let what = "\(method.uppercased()) \(path) → \(response.status)"
        #expect(
            Self.spec.documents(method, path, status: response.status), "\(what) is not documented",
            sourceLocation: sourceLocation)
        guard let schema = Self.spec.responseSchema(method, path, status: response.status) else { return }
        #expect(
            Self.spec.violations(ofJSON: response.body, against: schema) == [], "\(what): \(response.text)",
            sourceLocation: sourceLocation)
    }

    /// A deploy as CI, an agent and an operator drive it, every answer checked against the document's schemas.
    @Test func theAnswersOfADeployConformToTheDocument() async throws {
        let server = try await TestServer()
        let agent = [
            ("X-Prostagma-Agent", "web-1"), ("X-Prostagma-Host", "web-1.internal"), ("X-Prostagma-Poll-Interval", "5"),
        ]
        let original = #"{"secret": "test-secret", "trigger": "web"}"#
        expectConforms(try await server.send(.POST, "/trigger", body: original), "post", "/trigger")
        expectConforms(try await server.send(.GET, "/trigger", body: original), "get", "/trigger")
        let incremented = try await server.send(.POST, "/v1/triggers/web", bearer: true)
        #expect(incremented.status == 200)
        expectConforms(incremented, "post", "/v1/triggers/{name}")
        let epoch = try JSONValue.parse(incremented.body)["epoch"]?.string ?? ""
        let polled = try await server.send(
            .GET, "/v1/triggers/web?after=0&epoch=\(epoch)&wait=0", headers: agent, bearer: true)
        expectConforms(polled, "get", "/v1/triggers/{name}")
        expectConforms(try await server.send(.GET, "/v1/triggers", bearer: true), "get", "/v1/triggers")

        let run = """
            {"id": "r-1", "agent": "web-1", "host": "web-1.internal", "trigger": "web", "count": 2, "epoch": "\(epoch)",
             "status": "failed", "started_at": "2026-11-25T10:00:00.000Z", "finished_at": "2026-11-25T10:00:01.000Z",
             "steps": [{"index": 0, "kind": "shell", "status": "failed", "duration_seconds": 1, "exit_code": 3,
                        "message": "exit status 3"}], "log_tail": "boom\\n"}
            """
        let runSchema = try #require(Self.spec.requestSchema("post", "/v1/runs"))
        #expect(Self.spec.violations(ofJSON: Array(run.utf8), against: runSchema) == [])
        let created = try await server.send(.POST, "/v1/runs", headers: agent, body: run, bearer: true)
        #expect(created.status == 201)
        expectConforms(created, "post", "/v1/runs")
        let runs = try await server.send(.GET, "/v1/runs?trigger=web", bearer: true)
        expectConforms(runs, "get", "/v1/runs")
        #expect(try JSONValue.parse(runs.body)["runs"]?.array?.first?["steps"]?.array?.count == 1)
        let agents = try await server.send(.GET, "/v1/agents", bearer: true)
        expectConforms(agents, "get", "/v1/agents")
        #expect(try JSONValue.parse(agents.body)["agents"]?.array?.first?["last_run"]?["id"] == .string("r-1"))

        // web-1 is live and watches "web": a deploy wait names it as pending when the wait runs out.
        let waited = try await server.send(.POST, "/v1/triggers/web?wait=0", bearer: true)
        #expect(waited.status == 504)
        expectConforms(waited, "post", "/v1/triggers/{name}")
        #expect(try JSONValue.parse(waited.body)["pending"] == .array([.string("web-1")]))
        // Nobody watches "lonely": the wait answers at once that the deploy is done.
        let lonely = try await server.send(.POST, "/v1/triggers/lonely?wait=5", bearer: true)
        #expect(lonely.status == 200)
        expectConforms(lonely, "post", "/v1/triggers/{name}")

        // Releases: params in, history out, a rollback and its failures.
        let released = try await server.send(
            .POST, "/v1/triggers/web", body: #"{"params": {"version": "1.4.2"}, "note": "CI"}"#, bearer: true)
        #expect(released.status == 200)
        expectConforms(released, "post", "/v1/triggers/{name}")
        let count = try JSONValue.parse(released.body)["count"]?.number ?? 0
        let history = try await server.send(.GET, "/v1/triggers/web/releases?limit=2", bearer: true)
        expectConforms(history, "get", "/v1/triggers/{name}/releases")
        #expect(try JSONValue.parse(history.body)["next_before"]?.number != nil)
        expectConforms(
            try await server.send(.GET, "/v1/triggers/web/releases/\(Int(count))", bearer: true), "get",
            "/v1/triggers/{name}/releases/{count}")
        expectConforms(
            try await server.send(.GET, "/v1/triggers/web/releases/999", bearer: true), "get",
            "/v1/triggers/{name}/releases/{count}")
        let rolledBack = try await server.send(
            .POST, "/v1/triggers/web/rollback", body: #"{"to": \#(Int(count))}"#, bearer: true)
        #expect(rolledBack.status == 200)
        expectConforms(rolledBack, "post", "/v1/triggers/{name}/rollback")
        #expect(try JSONValue.parse(rolledBack.body)["release"]?["rollback_of"]?.number == count)
        let noPrevious = try await server.send(
            .POST, "/v1/triggers/web/rollback", body: #"{"to": "previous"}"#, bearer: true)
        #expect(noPrevious.status == 409)
        expectConforms(noPrevious, "post", "/v1/triggers/{name}/rollback")
        let waitedRollback = try await server.send(
            .POST, "/v1/triggers/web/rollback?wait=0", body: #"{"to": 1}"#, bearer: true)
        #expect(waitedRollback.status == 504)
        expectConforms(waitedRollback, "post", "/v1/triggers/{name}/rollback")

        expectConforms(try await server.send(.GET, "/healthz"), "get", "/healthz")
        let badName = try await server.send(.GET, "/v1/triggers/..", bearer: true)
        #expect(badName.status == 422)
        expectConforms(badName, "get", "/v1/triggers/{name}")
        let badJSON = try await server.send(.POST, "/v1/runs", body: "{\"agent\": ", bearer: true)
        #expect(badJSON.status == 400)
        expectConforms(badJSON, "post", "/v1/runs")
    }
}
