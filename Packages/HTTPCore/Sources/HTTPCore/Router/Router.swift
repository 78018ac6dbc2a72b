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
    /// A handler that answers without suspending (see ``synchronous(_:_:maxBodyBytes:_:)``).
    public typealias SynchronousHandler = @Sendable (HTTPRequest, RequestContext) throws -> HTTPResponse
    /// A handler that answers without suspending when it can, and returns nil when the route's async handler must
    /// (see ``immediate(_:_:maxBodyBytes:_:otherwise:)``).
    public typealias ImmediateHandler = @Sendable (HTTPRequest, RequestContext) throws -> HTTPResponse?

    struct Route: Sendable {
        let template: String
        let policy: BodyPolicy
        let handler: Handler
        /// Set for routes added with `synchronous(_:_:maxBodyBytes:_:)`; `handler` then runs it too.
        var synchronous: SynchronousHandler? = nil
        /// Set for routes added with `immediate(_:_:maxBodyBytes:_:otherwise:)`; `handler` then tries it first.
        var immediate: ImmediateHandler? = nil

        /// Whether the event loop may answer it (with every middleware synchronous, or for `immediate` an observer).
        var answersWithoutTask: Bool { synchronous != nil || immediate != nil }
    }

    /// The outcome of matching a method and path.
    enum Match {
        case found(Route, RouteParameters)
        case methodNotAllowed(allow: [String])
        case notFound
    }

    private var root = RouteNode()
    /// Synchronous routes whose template is only literal segments, by the path exactly as written there and then by
    /// method: the event loop finds them with one lookup. A miss proves nothing (a `%`-encoded or `//` path, HEAD on
    /// a GET route) and goes through `match` like any request.
    private var literalSynchronous: [String: [String: Route]] = [:]
    /// Whether a synchronous route has a template with parameters or a `*`: only then can a path that misses
    /// `literalSynchronous` still be answered synchronously, so only then does the event loop match it in full (a
    /// long poll is otherwise matched once, by the task that answers it, not twice).
    private var hasPatternedSynchronous = false
    private var middlewares: [any HTTPMiddleware] = []
    /// The same middleware when every one of them can run synchronously, else nil (synchronous routes then answer
    /// through the async path, which is equally correct).
    private var synchronousMiddlewares: [any SynchronousHTTPMiddleware]? = []
    /// The same middleware, innermost first, when every one of them only observes answers, else nil: the router
    /// then calls them after the handler instead of running a chain (see ``HTTPResponseObserver``).
    private var observersInnermostFirst: [any HTTPResponseObserver]? = []

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
        insert(route, method: method)
    }

    private mutating func insert(_ route: Route, method: HTTPMethod) {
        let segments = Self.segments(of: route.template)
        if !isKnownUniquelyReferenced(&root) { root = root.copy() }
        root.insert(route, method: method.rawValue, segments: segments[...])
        guard !segments.contains(where: { $0.hasPrefix(":") || $0 == "*" || $0 == "**" || $0.contains("%") }) else {
            if route.answersWithoutTask { hasPatternedSynchronous = true }
            return
        }
        // The trie's rule (a later route for the same method and template wins) holds here too.
        let path = "/" + segments.joined(separator: "/")
        literalSynchronous[path, default: [:]][method.rawValue] = route.answersWithoutTask ? route : nil
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

    /// Adds a route whose handler answers without suspending, with bytes (a ``ResponseBody`` made of a buffer).
    ///
    /// The server answers such a route on the connection's event loop as soon as the request's body is in: no task,
    /// no hop to Swift's cooperative pool and back (when every middleware is a ``SynchronousHTTPMiddleware``; else
    /// it answers like any route). The body is collected first, up to `maxBodyBytes` (a larger `Content-Length`
    /// answers 413). The handler must not block (no I/O, no waiting on locks held for long): it holds up every
    /// connection of its event loop while it runs. A stream or file body is a bug; it answers 500. HEAD requests
    /// use a synchronous GET route as they use any GET route.
    ///
    /// A method of its own, not an overload of `get` and the others: a trailing closure without `await` would
    /// otherwise pick the synchronous overload silently.
    public mutating func synchronous(
        _ method: HTTPMethod,
        _ template: String,
        maxBodyBytes: Int = RequestBody.defaultLimit,
        _ handler: @escaping SynchronousHandler
    ) {
        var route = Route(
            template: template, policy: .collect(maxBytes: maxBodyBytes),
            handler: { request, context in
                try Self.checkedBody(handler(request, context), request: request, context: context)
            })
        route.synchronous = handler
        insert(route, method: method)
    }

    /// Adds a route whose handler answers without suspending when it can (nil otherwise: `otherwise` answers), and
    /// whose answer may be a long poll's wait (``HTTPResponse/afterWait(for:since:until:immediately:otherwise:)``).
    ///
    /// When every middleware is an ``HTTPResponseObserver``, the server runs `handler` on the connection's event
    /// loop, as for ``synchronous(_:_:maxBodyBytes:_:)``, and a long poll it answers waits there too: a connection
    /// that only makes such requests never has a task. When `handler` returns nil, the request goes to the
    /// connection's task and the route answers it as an async route: `handler` runs again there, then `otherwise`
    /// (so `handler` must be safe to run twice for a request it declines). Without a socket, or with other
    /// middleware, the route is an async route that tries `handler` first. A stream or file body from `handler`
    /// is a bug; it answers 500.
    public mutating func immediate(
        _ method: HTTPMethod,
        _ template: String,
        maxBodyBytes: Int = RequestBody.defaultLimit,
        _ handler: @escaping ImmediateHandler,
        otherwise: @escaping Handler
    ) {
        var route = Route(
            template: template, policy: .collect(maxBytes: maxBodyBytes),
            handler: { request, context in
                if let response = try handler(request, context) {
                    return Self.checkedBody(response, request: request, context: context, waitAllowed: true)
                }
                return try await otherwise(request, context)
            })
        route.immediate = handler
        insert(route, method: method)
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
        if let observer = middleware as? any HTTPResponseObserver {
            observersInnermostFirst?.insert(observer, at: 0)
        } else {
            observersInnermostFirst = nil
        }
        if let synchronous = middleware as? any SynchronousHTTPMiddleware {
            synchronousMiddlewares?.append(synchronous)
        } else {
            synchronousMiddlewares = nil
        }
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
        let route = request.route
        // No middleware: the handler runs straight from here, without a closure's frame between (a waiting long
        // poll holds every frame on the way).
        // A long poll's wait (HTTPResponse.afterWait) happens here too, once the handler's frames are gone.
        // `completed` is called for every answer: testing the body here first made this frame larger, and a waiting
        // connection's task then kept one more 1 KiB slab (10,000 polls: +10 MB, measured).
        if middlewares.isEmpty, case .route(let handler, let limit) = endpoint {
            let response = await Self.run(handler, collectUpTo: limit, request: request, context: context)
            return (await Self.completed(response, request: request, context: context), route)
        }
        // Only observers: the same, and they look at the answer after it.
        if let observers = observersInnermostFirst, case .route(let handler, let limit) = endpoint {
            let start = ContinuousClock.now
            var response = await Self.run(handler, collectUpTo: limit, request: request, context: context)
            response = await Self.completed(response, request: request, context: context)
            for observer in observers { observer.observe(request, response, since: start) }
            return (response, route)
        }
        return (await throughMiddleware(endpoint, request: request, context: context), route)
    }

    /// Runs the middleware chain around `endpoint`, rendering what it throws.
    @inline(never)
    private func throughMiddleware(
        _ endpoint: Endpoint, request: HTTPRequest, context: RequestContext
    ) async -> HTTPResponse {
        let last: HTTPMiddleware.Next
        switch endpoint {
        case .route(let handler, let limit):
            last = { request, context in
                // Middleware sees the answer after the wait, as it sees every other.
                let response = await Self.run(handler, collectUpTo: limit, request: request, context: context)
                return await Self.completed(response, request: request, context: context)
            }
        case .methodNotAllowed(let allow):
            last = { request, _ in
                HTTPError(
                    .methodNotAllowed,
                    error: "method_not_allowed",
                    detail: "\(request.method.rawValue) is not allowed on \(request.path)",
                    headers: ["allow": allow.joined(separator: ", ")]
                ).response
            }
        case .notFound:
            last = { request, _ in
                HTTPError(.notFound, error: "not_found", detail: "no route for \(request.path)").response
            }
        }
        let chain = middlewares.reversed().reduce(last) { next, middleware in
            { request, context in try await middleware.handle(request, context: context, next: next) }
        }
        do {
            return try await chain(request, context)
        } catch {
            return Self.render(error, request: request, context: context)
        }
    }

    /// What answers a request once it is matched.
    private enum Endpoint {
        /// The route's handler; its body is collected first (to the limit) when `collectUpTo` is set.
        case route(Handler, collectUpTo: Int?)
        case methodNotAllowed(allow: [String])
        case notFound
    }

    /// Matches `request`, sets its route and parameters, and returns what answers it (the handler, 404 or 405).
    private func endpoint(for request: inout HTTPRequest) -> Endpoint {
        switch match(method: request.method, path: request.path) {
        case .found(let route, let parameters):
            request.parameters = parameters
            request.route = route.template
            guard case .collect(let limit) = route.policy else { return .route(route.handler, collectUpTo: nil) }
            // No body at all: collected as empty here, in place, so the handler runs without a collecting frame.
            if request.body.isAbsent { request.body = RequestBody() }
            return .route(route.handler, collectUpTo: limit)
        case .methodNotAllowed(let allow):
            return .methodNotAllowed(allow: allow)
        case .notFound:
            return .notFound
        }
    }

    /// Runs a route's handler, collecting the body first (and holding it to the limit) when the route says so.
    @inline(never)
    private static func run(
        _ handler: Handler, collectUpTo limit: Int?, request: HTTPRequest, context: RequestContext
    ) async -> HTTPResponse {
        // A request with no body at all (the usual GET) skips the collecting frame.
        if let limit, request.body.buffer?.readableBytes != 0 || request.headers.contains(name: "content-length") {
            return await runCollecting(handler, limit: limit, request: request, context: context)
        }
        do {
            return try await handler(request, context)
        } catch {
            return render(error, request: request, context: context)
        }
    }

    /// `response`, or for a long poll's answer to come (``HTTPResponse/afterWait(for:since:until:then:)``) the
    /// response its `answer` makes once the wait ends; what `answer` throws is rendered as a handler's error is.
    @inline(never)
    private static func completed(
        _ response: HTTPResponse, request: HTTPRequest, context: RequestContext
    ) async -> HTTPResponse {
        var response = response
        while case .afterWait(let pending) = response.body.storage {
            let reason = await context.wait(for: pending.notifier, since: pending.since, until: pending.deadline)
            do {
                response = try await pending.answer(reason)
            } catch {
                return render(error, request: request, context: context)
            }
        }
        return response
    }

    @inline(never)
    private static func runCollecting(
        _ handler: Handler,
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
            return try await handler(request, context)
        } catch {
            return render(error, request: request, context: context)
        }
    }

    /// The synchronous route that answers `method` on `path`, with its parameters, when the whole chain (every
    /// middleware and the handler) can run without suspending; nil otherwise. The server's event-loop path asks this
    /// for each request head.
    func immediateRoute(method: HTTPMethod, path: String) -> (route: Route, parameters: RouteParameters)? {
        guard synchronousMiddlewares != nil else { return nil }
        if let route = literalSynchronous[path]?[method.rawValue] {
            return answersImmediately(route) ? (route, RouteParameters()) : nil
        }
        // With only literal synchronous routes, a miss is final for a path written as the table writes it.
        guard hasPatternedSynchronous || method == .HEAD || !Self.isWrittenAsTemplate(path) else { return nil }
        guard case .found(let route, let parameters) = match(method: method, path: path), answersImmediately(route)
        else { return nil }
        return (route, parameters)
    }

    /// Whether the event loop can answer `route`: a synchronous route when every middleware is synchronous, an
    /// immediate one when every middleware only observes (its answer may come after a wait, when it is observed).
    private func answersImmediately(_ route: Route) -> Bool {
        if route.synchronous != nil { return true }
        return route.immediate != nil && observersInnermostFirst != nil
    }

    /// What the event loop does next with a request for an immediate route.
    enum ImmediateStep {
        /// Write this response (observed already).
        case response(HTTPResponse)
        /// The route's handler declined: the connection's task answers the request as an async route.
        case declined
        /// Wait as `PendingAnswer` says, then ``answerAfterWait(_:reason:request:context:since:)``.
        case waiting(PendingAnswer)
        /// The wait's answer must suspend: the connection's task makes the response with this (observed when it
        /// returns).
        case later(@Sendable () async -> HTTPResponse)
    }

    /// Answers `request` for an immediate route (see ``immediateRoute(method:path:)``) without suspending, as far as
    /// its handler can; a response is observed by the middleware (every one an observer) before it is returned.
    func respondImmediately(
        _ request: HTTPRequest, route: Route, context: RequestContext, since start: ContinuousClock.Instant
    ) -> ImmediateStep {
        guard let handler = route.immediate else {
            return .response(respondImmediately(request, route: route, context: context))
        }
        guard let response = Self.checked({ try handler(request, context) }, request: request, context: context)
        else { return .declined }
        return settled(response, request: request, since: start)
    }

    /// The step after an event-loop long poll's wait ended with `reason`.
    func answerAfterWait(
        _ pending: PendingAnswer, reason: WakeReason, request: HTTPRequest, context: RequestContext,
        since start: ContinuousClock.Instant
    ) -> ImmediateStep {
        guard case .immediate(let now, let later) = pending.kind else {
            preconditionFailure("an immediate route waits with afterWait(for:since:until:immediately:otherwise:)")
        }
        guard let response = Self.checked({ try now(reason) }, request: request, context: context) else {
            return .later {
                var response: HTTPResponse
                do {
                    response = try await later()
                } catch {
                    response = Self.render(error, request: request, context: context)
                }
                response = await Self.completed(response, request: request, context: context)
                self.observe(request, response, since: start)
                return response
            }
        }
        return settled(response, request: request, since: start)
    }

    /// What `make` (an immediate handler, or its wait's answer) answers, its errors rendered; nil when it declined.
    private static func checked(
        _ make: () throws -> HTTPResponse?, request: HTTPRequest, context: RequestContext
    ) -> HTTPResponse? {
        do {
            guard let answered = try make() else { return nil }
            return checkedBody(answered, request: request, context: context, waitAllowed: true)
        } catch {
            return render(error, request: request, context: context)
        }
    }

    /// `response` observed and to be written, or the wait it is.
    private func settled(
        _ response: HTTPResponse, request: HTTPRequest, since start: ContinuousClock.Instant
    ) -> ImmediateStep {
        if case .afterWait(let pending) = response.body.storage { return .waiting(pending) }
        observe(request, response, since: start)
        return .response(response)
    }

    /// Calls the observers with an answer made on the event loop, innermost first, as the chain would.
    private func observe(_ request: HTTPRequest, _ response: HTTPResponse, since start: ContinuousClock.Instant) {
        for observer in observersInnermostFirst ?? [] { observer.observe(request, response, since: start) }
    }

    /// Answers `request` (its route, parameters and collected body already set) through the synchronous middleware
    /// and `route`'s synchronous handler, as ``dispatch(_:context:)`` would through the async ones: the handler's
    /// errors are rendered before the middleware sees the response, a middleware's error is rendered at the end.
    func respondImmediately(_ request: HTTPRequest, route: Route, context: RequestContext) -> HTTPResponse {
        guard let handler = route.synchronous, let middlewares = synchronousMiddlewares else {
            preconditionFailure("respondImmediately is only for routes immediateRoute(method:path:) returned")
        }
        do {
            return try Self.runSynchronously(
                request, context: context, middlewares: middlewares[...], handler: handler)
        } catch {
            return Self.render(error, request: request, context: context)
        }
    }

    private static func runSynchronously(
        _ request: HTTPRequest,
        context: RequestContext,
        middlewares: ArraySlice<any SynchronousHTTPMiddleware>,
        handler: SynchronousHandler
    ) throws -> HTTPResponse {
        guard let first = middlewares.first else {
            do {
                return try checkedBody(handler(request, context), request: request, context: context)
            } catch {
                return render(error, request: request, context: context)
            }
        }
        return try first.handleSynchronously(request, context: context) { request, context in
            try runSynchronously(request, context: context, middlewares: middlewares.dropFirst(), handler: handler)
        }
    }

    /// `response` when its body is bytes; a synchronous handler that answers with a stream or a file is a bug of
    /// the app, answered 500 (the same on both paths, so tests without a socket catch it).
    static func checkedBody(
        _ response: HTTPResponse, request: HTTPRequest, context: RequestContext, waitAllowed: Bool = false
    ) -> HTTPResponse {
        switch response.body.storage {
        case .buffer: return response
        case .afterWait(let pending) where waitAllowed:
            if case .immediate = pending.kind { return response }
        default: break
        }
        context.logger.error(
            "a synchronous route answered with a stream, a file or a wait",
            metadata: ["route": "\(request.route ?? "-")"])
        return HTTPError(.internalServerError, error: "internal_error", detail: "the server failed to answer").response
    }

    /// Matches `method` and `path` against the routes.
    func match(method: HTTPMethod, path: String) -> Match {
        let segments = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map {
            PercentDecoding.decode(Substring($0), plusAsSpace: false)
        }
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

    /// Whether `path` is spelled as `insert` spells a literal template: a leading `/`, no empty segment (`//`), no
    /// trailing `/` (but `/` itself), and no `%` escape. Such a path reaches the same route only as itself.
    static func isWrittenAsTemplate(_ path: String) -> Bool {
        var previous: UInt8 = 0
        for byte in path.utf8 {
            if byte == UInt8(ascii: "%") || (byte == UInt8(ascii: "/") && previous == UInt8(ascii: "/")) {
                return false
            }
            previous = byte
        }
        return path.utf8.first == UInt8(ascii: "/") && (previous != UInt8(ascii: "/") || path.utf8.count == 1)
    }

    /// The path's segments between slashes, empty ones dropped. Split on bytes: `/` is ASCII, never inside a
    /// multi-byte character, and bytes are cheaper to scan than characters.
    static func segments(of path: String) -> [String] {
        path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map { String(Substring($0)) }
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

/// A node of the route trie: a class, so that a lookup walks references instead of copying each node's
/// dictionaries out of its parent (a struct node cost a retain and release of every field per segment). The router
/// keeps value semantics by copying the trie before it changes one that another router shares.
final class RouteNode: @unchecked Sendable {
    var literals: [String: RouteNode] = [:]
    var parameter: [RouteNode] = []  // at most one; an array keeps the recursive type simple
    var parameterName = ""
    var catchAll: [String: Router.Route] = [:]
    var routes: [String: Router.Route] = [:]

    /// Changed only while routes are added, before the router is shared (`Router` copies a shared trie first);
    /// read-only once a server answers with it.
    func insert(_ route: Router.Route, method: String, segments: ArraySlice<String>) {
        guard let first = segments.first else {
            routes[method] = route
            return
        }
        if first == "*" || first == "**" {
            catchAll[method] = route
        } else if first.hasPrefix(":") {
            if parameter.isEmpty {
                let child = RouteNode()
                child.parameterName = String(first.dropFirst())
                parameter = [child]
            }
            parameter[0].insert(route, method: method, segments: segments.dropFirst())
        } else {
            let child = literals[first] ?? RouteNode()
            literals[first] = child
            child.insert(route, method: method, segments: segments.dropFirst())
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

    /// A deep copy: every node below is copied too.
    func copy() -> RouteNode {
        let copy = RouteNode(routes: routes)
        copy.literals = literals.mapValues { $0.copy() }
        copy.parameter = parameter.map { $0.copy() }
        copy.parameterName = parameterName
        copy.catchAll = catchAll
        return copy
    }
}
