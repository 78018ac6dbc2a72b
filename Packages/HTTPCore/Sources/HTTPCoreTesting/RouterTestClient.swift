import HTTPCore
import Logging

/// Drives a `Router` without a socket: builds requests, runs middleware and handlers, collects the response.
///
/// Responses look as the server would send them: `Content-Length` set when known, no body for HEAD.
///
/// ```swift
/// try await router.test { client in
///     let response = try await client.execute(.GET, "/v1/triggers/web")
///     #expect(response.status == .ok)
/// }
/// ```
public struct RouterTestClient: Sendable {
    /// The router under test.
    public let router: Router
    /// The context every request gets (its shutdown signal can be fired to test long polls).
    public let context: RequestContext

    /// Creates a client for `router`; requests share `context`.
    public init(router: Router, context: RequestContext) {
        self.router = router
        self.context = context
    }

    /// Sends a request with an optional body and returns the response with its body collected.
    public func execute(
        _ method: HTTPMethod,
        _ uri: String,
        headers: HTTPHeaders = [:],
        body: ByteBuffer? = nil
    ) async throws -> ClientResponse {
        var headers = headers
        if let body, !headers.contains(name: "content-length") {
            headers.add(name: "content-length", value: String(body.readableBytes))
        }
        let request = HTTPRequest(
            method: method,
            uri: uri,
            headers: headers,
            body: body.map { RequestBody(buffer: $0) } ?? RequestBody()
        )
        let response = await router.respond(to: request, context: context)
        var responseHeaders = response.headers
        let collected = try await response.body.collect()
        if response.status.code >= 200, response.status != .noContent {
            responseHeaders.replaceOrAdd(name: "content-length", value: String(collected.readableBytes))
        }
        return ClientResponse(
            status: response.status,
            headers: responseHeaders,
            body: method == .HEAD ? ByteBuffer() : collected
        )
    }

    /// Sends a request with the UTF-8 bytes of `body`.
    public func execute(
        _ method: HTTPMethod,
        _ uri: String,
        headers: HTTPHeaders = [:],
        body: String
    ) async throws -> ClientResponse {
        try await execute(method, uri, headers: headers, body: ByteBuffer(string: body))
    }

    /// Sends `json` encoded as JSON (`Content-Type: application/json`).
    public func execute(
        _ method: HTTPMethod,
        _ uri: String,
        headers: HTTPHeaders = [:],
        json: some Encodable
    ) async throws -> ClientResponse {
        var headers = headers
        headers.replaceOrAdd(name: "content-type", value: "application/json")
        return try await execute(method, uri, headers: headers, body: try JSONCoding.encode(json))
    }
}

extension Router {
    /// Runs `body` with a client that drives this router without a socket.
    ///
    /// - Parameter shutdownSignal: fire it inside `body` to see how long polls answer a shutdown.
    public func test<Result>(
        logger: Logger = Logger(label: "HTTPCoreTesting", factory: { _ in SwiftLogNoOpLogHandler() }),
        shutdownSignal: ShutdownSignal = ShutdownSignal(),
        _ body: (RouterTestClient) async throws -> Result
    ) async throws -> Result {
        let context = RequestContext(logger: logger, shutdownSignal: shutdownSignal)
        return try await body(RouterTestClient(router: self, context: context))
    }
}
