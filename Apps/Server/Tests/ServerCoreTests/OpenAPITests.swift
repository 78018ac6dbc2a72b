import Foundation
import HTTPCore
import Testing

@testable import ServerCore

/// Walks every path and method of the served OpenAPI document against the server.
@Suite struct OpenAPITests {
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
            "GET /v1/agents",
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
        default: return nil
        }
    }

    @Test(arguments: documented)
    func everyOperationExistsAndAnswersAsDocumented(_ operation: Operation) async throws {
        let server = try TestServer(upstreamTimeout: .seconds(5))
        var uri = operation.path.replacingOccurrences(of: "{name}", with: "app")
        if operation.path == "/v1/artifacts" { uri += "?url=http%3A%2F%2F127.0.0.1%3A1%2Fx" }
        let method = HTTPMethod(rawValue: operation.method.uppercased())
        let response = try await server.send(method, uri, body: Self.body(for: operation), bearer: true)
        #expect(response.status != 404 || operation.statuses.contains(404), "\(operation): no route")
        #expect(response.status != 405, "\(operation): method not routed")
        #expect(
            operation.statuses.contains(response.status), "\(operation) answered \(response.status): \(response.text)")
    }
}
