import NIOCore
import NIOHTTP1

/// A request as a handler sees it: method, target, headers, route parameters and the body.
public struct HTTPRequest: Sendable {
    /// The request method.
    public var method: HTTPMethod
    /// The request target as sent, e.g. `/v1/triggers/web?wait=30`.
    public var uri: String
    /// The path part of the target, not percent-decoded (route matching decodes each segment).
    public var path: String
    /// The query items, percent-decoded (`+` is a space).
    public var query: QueryItems
    /// The request headers.
    public var headers: HTTPHeaders
    /// The HTTP version, e.g. 1.1.
    public var version: HTTPVersion
    /// The route parameters, e.g. `parameters["name"]` for `/v1/triggers/:name`; set by the router.
    public var parameters: RouteParameters
    /// The template of the matched route, e.g. `/v1/triggers/:name`; nil when no route matched (404/405).
    ///
    /// Middleware reads it for metrics labels, where the raw path would explode cardinality.
    public var route: String?
    /// The request body: already collected for routes with a `.collect` policy, a stream for `.stream` routes.
    public var body: RequestBody

    /// Creates a request; the router and the test client use this, handlers normally do not.
    public init(
        method: HTTPMethod,
        uri: String,
        headers: HTTPHeaders = [:],
        version: HTTPVersion = .http1_1,
        body: RequestBody = RequestBody()
    ) {
        self.method = method
        self.uri = uri
        let split = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        self.path = split.first.map(String.init) ?? "/"
        if self.path.isEmpty { self.path = "/" }
        self.query = QueryItems(split.count > 1 ? String(split[1]) : "")
        self.headers = headers
        self.version = version
        self.parameters = RouteParameters()
        self.route = nil
        self.body = body
    }

    /// Decodes the body as JSON into a `T`; a malformed body throws `HTTPError` 400.
    ///
    /// A streamed body is collected up to `RequestBody.defaultLimit` first.
    public func decode<T: Decodable>(_ type: T.Type = T.self) async throws -> T {
        // A collected body was already held to its route's limit; only a stream needs one here.
        let buffer: ByteBuffer
        if let collected = body.buffer {
            buffer = collected
        } else {
            buffer = try await body.collect(upTo: RequestBody.defaultLimit)
        }
        do {
            return try JSONCoding.decode(type, from: buffer)
        } catch {
            throw HTTPError(.badRequest, error: "bad_json", detail: "request body is not a valid \(T.self): \(error)")
        }
    }
}
