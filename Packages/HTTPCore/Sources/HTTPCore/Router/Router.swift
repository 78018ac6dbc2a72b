import NIOHTTP1

/// Routes requests by method and path to handlers, through middleware.
///
/// Templates are made of literal segments, `:name` parameters (one segment) and a final `*` or `**` (the rest of
/// the path, captured as parameter `*`). Literal segments win over parameters, which win over `*`.
/// A path that matches no template answers 404; one that matches a template but not the method answers 405 with
/// `Allow`. HEAD falls back to the GET handler (the server sends no body). Errors render through
/// `HTTPResponseError` (`HTTPError` and an app's own error types).
///
/// ```swift
/// var router = Router()
/// router.add(middleware: AccessLog())
/// router.get("/v1/triggers/:name") { request, context in
///     try .json(["name": request.parameters["name"] ?? ""])
/// }
/// router.post("/upload", body: .stream) { request, context in ... }
/// ```
public struct Router: Sendable {
    /// A route handler.
    public typealias Handler = @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse

    struct Route: Sendable {
        let template: String
        let policy: BodyPolicy
        let handler: Handler
    }

    /// The outcome of matching a method and path.
    enum Match {
        case found(Route, RouteParameters)
        case methodNotAllowed(allow: [String])
        case notFound
    }

    private var root = RouteNode()
    private var middlewares: [any HTTPMiddleware] = []

    /// Creates a router with no routes and no middleware.
    public init() {}

    /// Adds a route for `method` and the path `template`; a later route for the same method and template wins.
    public mutating func on(
        _ method: HTTPMethod,
        _ template: String,
        body: BodyPolicy = .collect,
        _ handler: @escaping Handler
    ) {
        let route = Route(template: template, policy: body, handler: handler)
        root.insert(route, method: method.rawValue, segments: Self.segments(of: template)[...])
    }

    /// Adds a route (the same as `on(_:_:body:_:)`, with a labelled method).
    public mutating func on(
        method: HTTPMethod,
        path template: String,
        body: BodyPolicy = .collect,
        _ handler: @escaping Handler
    ) {
        on(method, template, body: body, handler)
    }

    /// Adds a GET route (HEAD requests use it too, without a body).
    public mutating func get(_ template: String, body: BodyPolicy = .collect, _ handler: @escaping Handler) {
        on(.GET, template, body: body, handler)
    }

    /// Adds a POST route.
    public mutating func post(_ template: String, body: BodyPolicy = .collect, _ handler: @escaping Handler) {
        on(.POST, template, body: body, handler)
    }

    /// Adds a PUT route.
    public mutating func put(_ template: String, body: BodyPolicy = .collect, _ handler: @escaping Handler) {
        on(.PUT, template, body: body, handler)
    }

    /// Adds a DELETE route.
    public mutating func delete(_ template: String, body: BodyPolicy = .collect, _ handler: @escaping Handler) {
        on(.DELETE, template, body: body, handler)
    }

    /// Adds a PATCH route.
    public mutating func patch(_ template: String, body: BodyPolicy = .collect, _ handler: @escaping Handler) {
        on(.PATCH, template, body: body, handler)
    }

    /// Adds an explicit HEAD route (otherwise HEAD uses the GET route).
    public mutating func head(_ template: String, body: BodyPolicy = .collect, _ handler: @escaping Handler) {
        on(.HEAD, template, body: body, handler)
    }

    /// Appends `middleware`; the first added runs outermost.
    public mutating func add(middleware: some HTTPMiddleware) {
        middlewares.append(middleware)
    }

    /// Answers `request`: matches the route, runs middleware and the handler, and renders any error as a response.
    ///
    /// The body is collected per the route's policy after middleware ran and before the handler runs.
    public func respond(to request: HTTPRequest, context: RequestContext) async -> HTTPResponse {
        await dispatch(request, context: context).response
    }

    /// Answers `request` and says which route template matched (nil for 404/405).
    ///
    /// The frames on the way to a handler stay small (a waiting long poll holds them): matching is synchronous,
    /// and collecting a body happens in its own function only when there is one to collect.
    func dispatch(
        _ request: consuming HTTPRequest,
        context: RequestContext
    ) async -> (response: HTTPResponse, route: String?) {
        // Consumed: the router sets the route and parameters on the caller's request without copying its box.
        var request = request
        let endpoint = endpoint(for: &request)
        let chain =
            middlewares.isEmpty
            ? endpoint
            : middlewares.reversed().reduce(endpoint) { next, middleware in
                { request, context in try await middleware.handle(request, context: context, next: next) }
            }
        do {
            return (try await chain(request, context), request.route)
        } catch {
            return (Self.render(error, request: request, context: context), request.route)
        }
    }

    /// Matches `request`, sets its route and parameters, and returns what answers it (the handler, 404 or 405).
    private func endpoint(for request: inout HTTPRequest) -> HTTPMiddleware.Next {
        switch match(method: request.method, path: request.path) {
        case .found(let route, let parameters):
            request.parameters = parameters
            request.route = route.template
            // No body at all: collected as empty here, in place, so the handler runs without a collecting frame.
            if case .collect = route.policy, request.body.isAbsent { request.body = RequestBody() }
            return { request, context in await Self.run(route, request: request, context: context) }
        case .methodNotAllowed(let allow):
            return { request, _ in
                HTTPError(
                    .methodNotAllowed,
                    error: "method_not_allowed",
                    detail: "\(request.method.rawValue) is not allowed on \(request.path)",
                    headers: ["allow": allow.joined(separator: ", ")]
                ).response
            }
        case .notFound:
            return { request, _ in
                HTTPError(.notFound, error: "not_found", detail: "no route for \(request.path)").response
            }
        }
    }

    /// Runs `route`'s handler, collecting the body first (and holding it to the limit) when the route says so.
    @inline(never)
    private static func run(_ route: Route, request: HTTPRequest, context: RequestContext) async -> HTTPResponse {
        // A request with no body at all (the usual GET) skips the collecting frame.
        if case .collect(let limit) = route.policy,
            request.body.buffer?.readableBytes != 0 || request.headers.contains(name: "content-length")
        {
            return await runCollecting(route, limit: limit, request: request, context: context)
        }
        do {
            return try await route.handler(request, context)
        } catch {
            return render(error, request: request, context: context)
        }
    }

    @inline(never)
    private static func runCollecting(
        _ route: Route,
        limit: Int,
        request: HTTPRequest,
        context: RequestContext
    ) async -> HTTPResponse {
        do {
            var request = request
            if let declared = request.headers.first(name: "content-length").flatMap(Int.init), declared > limit {
                throw HTTPError.payloadTooLarge(limit: limit)
            }
            request.body = RequestBody(buffer: try await request.body.collect(upTo: limit))
            return try await route.handler(request, context)
        } catch {
            return render(error, request: request, context: context)
        }
    }

    /// Matches `method` and `path` against the routes.
    func match(method: HTTPMethod, path: String) -> Match {
        let segments = Self.segments(of: path).map { PercentDecoding.decode($0[...], plusAsSpace: false) }
        var parameters = RouteParameters()
        guard let node = root.find(segments[...], parameters: &parameters) else { return .notFound }
        if let route = node.routes[method.rawValue] {
            return .found(route, parameters)
        }
        if method == .HEAD, let route = node.routes[HTTPMethod.GET.rawValue] {
            return .found(route, parameters)
        }
        var allow = Set(node.routes.keys)
        if allow.contains("GET") { allow.insert("HEAD") }
        return .methodNotAllowed(allow: allow.sorted())
    }

    static func segments(of path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    static func render(_ error: any Error, request: HTTPRequest, context: RequestContext) -> HTTPResponse {
        if let error = error as? any HTTPResponseError {
            let response = error.response
            if response.status.code >= 500 {
                context.logger.warning(
                    "request failed", metadata: ["route": "\(request.route ?? "-")", "error": "\(error)"])
            }
            return response
        }
        context.logger.error(
            "handler failed",
            metadata: ["error": "\(String(reflecting: error))", "path": "\(request.path)"]
        )
        return HTTPError(.internalServerError, error: "internal_error", detail: "the server failed to answer").response
    }
}

/// A node of the route trie.
struct RouteNode: Sendable {
    var literals: [String: RouteNode] = [:]
    var parameter: [RouteNode] = []  // at most one; an array keeps the recursive type simple
    var parameterName = ""
    var catchAll: [String: Router.Route] = [:]
    var routes: [String: Router.Route] = [:]

    mutating func insert(_ route: Router.Route, method: String, segments: ArraySlice<String>) {
        guard let first = segments.first else {
            routes[method] = route
            return
        }
        if first == "*" || first == "**" {
            catchAll[method] = route
        } else if first.hasPrefix(":") {
            if parameter.isEmpty {
                var child = RouteNode()
                child.parameterName = String(first.dropFirst())
                parameter = [child]
            }
            parameter[0].insert(route, method: method, segments: segments.dropFirst())
        } else {
            literals[first, default: RouteNode()].insert(route, method: method, segments: segments.dropFirst())
        }
    }

    func find(_ segments: ArraySlice<String>, parameters: inout RouteParameters) -> RouteNode? {
        guard let first = segments.first else {
            if !routes.isEmpty { return self }
            if !catchAll.isEmpty {
                parameters.append("*", "")
                return RouteNode(routes: catchAll)
            }
            return nil
        }
        if let child = literals[first], let found = child.find(segments.dropFirst(), parameters: &parameters) {
            return found
        }
        if let child = parameter.first {
            var attempt = parameters
            attempt.append(child.parameterName, first)
            if let found = child.find(segments.dropFirst(), parameters: &attempt) {
                parameters = attempt
                return found
            }
        }
        if !catchAll.isEmpty {
            parameters.append("*", segments.joined(separator: "/"))
            return RouteNode(routes: catchAll)
        }
        return nil
    }

    init() {}

    init(routes: [String: Router.Route]) {
        self.routes = routes
    }
}
