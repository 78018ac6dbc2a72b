import NIOCore
import NIOHTTP1

/// A request as a handler sees it: method, target, headers, route parameters and the body.
///
/// One pointer wide (the values live in a copy-on-write box): every async frame between the server and a handler
/// holds a copy of the request for as long as a long poll waits, so its size counts once per frame per request.
public struct HTTPRequest: Sendable {
    /// The values; mutated only through `HTTPRequest`'s setters, on a box no other request shares (copy on write),
    /// hence unchecked `Sendable`.
    private final class Storage: @unchecked Sendable {
        var method: HTTPMethod
        var uri: String
        var path: String
        var query: QueryItems
        var headers: HTTPHeaders
        var version: HTTPVersion
        var parameters: RouteParameters
        var route: String?
        var body: RequestBody

        init(
            method: HTTPMethod,
            uri: String,
            path: String,
            query: QueryItems,
            headers: HTTPHeaders,
            version: HTTPVersion,
            parameters: RouteParameters,
            route: String?,
            body: RequestBody
        ) {
            self.method = method
            self.uri = uri
            self.path = path
            self.query = query
            self.headers = headers
            self.version = version
            self.parameters = parameters
            self.route = route
            self.body = body
        }

        func copy() -> Storage {
            Storage(
                method: method,
                uri: uri,
                path: path,
                query: query,
                headers: headers,
                version: version,
                parameters: parameters,
                route: route,
                body: body
            )
        }
    }

    private var storage: Storage

    private mutating func uniqueStorage() -> Storage {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage
    }

    /// The request method.
    public var method: HTTPMethod {
        get { storage.method }
        set { uniqueStorage().method = newValue }
    }
    /// The request target as sent, e.g. `/v1/triggers/web?wait=30`.
    public var uri: String {
        get { storage.uri }
        set { uniqueStorage().uri = newValue }
    }
    /// The path part of the target, not percent-decoded (route matching decodes each segment).
    public var path: String {
        get { storage.path }
        set { uniqueStorage().path = newValue }
    }
    /// The query items, percent-decoded (`+` is a space).
    public var query: QueryItems {
        get { storage.query }
        set { uniqueStorage().query = newValue }
    }
    /// The request headers.
    public var headers: HTTPHeaders {
        get { storage.headers }
        set { uniqueStorage().headers = newValue }
    }
    /// The HTTP version, e.g. 1.1.
    public var version: HTTPVersion {
        get { storage.version }
        set { uniqueStorage().version = newValue }
    }
    /// The route parameters, e.g. `parameters["name"]` for `/v1/triggers/:name`; set by the router.
    public var parameters: RouteParameters {
        get { storage.parameters }
        set { uniqueStorage().parameters = newValue }
    }
    /// The template of the matched route, e.g. `/v1/triggers/:name`; nil when no route matched (404/405).
    ///
    /// Middleware reads it for metrics labels, where the raw path would explode cardinality.
    public var route: String? {
        get { storage.route }
        set { uniqueStorage().route = newValue }
    }
    /// The request body: already collected for routes with a `.collect` policy, a stream for `.stream` routes.
    public var body: RequestBody {
        get { storage.body }
        set { uniqueStorage().body = newValue }
    }

    /// Creates a request; the router and the test client use this, handlers normally do not.
    public init(
        method: HTTPMethod,
        uri: String,
        headers: HTTPHeaders = [:],
        version: HTTPVersion = .http1_1,
        body: RequestBody = RequestBody()
    ) {
        // Split at the first "?" byte (not Character: a URI is bytes, and a combining mark after "?" must not hide it).
        var path: String
        let query: String
        if let mark = uri.utf8.firstIndex(of: UInt8(ascii: "?")) {
            path = String(uri[..<mark])
            query = String(uri[uri.utf8.index(after: mark)...])
        } else {
            path = uri
            query = ""
        }
        if path.isEmpty { path = "/" }
        storage = Storage(
            method: method,
            uri: uri,
            path: path,
            query: QueryItems(query),
            headers: headers,
            version: version,
            parameters: RouteParameters(),
            route: nil,
            body: body
        )
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
