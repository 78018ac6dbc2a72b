/// Code that runs around every request the router answers (metrics, auth, logging).
///
/// `request.route` holds the matched template (nil for 404/405). Errors a handler throws are already rendered
/// into a response when `next` returns, so a middleware sees every status; an error a middleware throws is
/// rendered too.
///
/// ```swift
/// struct Timing: HTTPMiddleware {
///     func handle(_ request: HTTPRequest, context: RequestContext, next: Next) async throws -> HTTPResponse {
///         let start = ContinuousClock.now
///         let response = try await next(request, context)
///         context.logger.info("\(request.route ?? "-") \(response.status.code) \(ContinuousClock.now - start)")
///         return response
///     }
/// }
/// ```
public protocol HTTPMiddleware: Sendable {
    /// The rest of the chain: later middleware, then the route handler.
    typealias Next = @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse

    /// Handles `request`, normally by calling `next` and returning (or adjusting) its response.
    func handle(_ request: HTTPRequest, context: RequestContext, next: Next) async throws -> HTTPResponse
}

/// A middleware that can also run around synchronous routes without suspending, on the connection's event loop.
///
/// When every middleware of a router conforms, the server answers the routes added with `Router.synchronous(_:_:maxBodyBytes:_:)` on the
/// event loop, through ``handleSynchronously(_:context:next:)``; other routes still get the async
/// ``HTTPMiddleware/handle(_:context:next:)``. Both must do the same thing. Must not block: it runs on the event
/// loop.
public protocol SynchronousHTTPMiddleware: HTTPMiddleware {
    /// Handles `request` around the synchronous rest of the chain, `next`.
    func handleSynchronously(
        _ request: HTTPRequest,
        context: RequestContext,
        next: (HTTPRequest, RequestContext) throws -> HTTPResponse
    ) throws -> HTTPResponse
}

/// A middleware that only looks at each request's answer (metrics, access logs): it runs no code before the handler
/// and changes nothing.
///
/// When every middleware of a router is an observer, the router runs an async route's handler straight from its own
/// frame and calls ``observe(_:_:since:)`` after it, innermost first, as the chain would: no closure frames of a
/// chain lie between the server and the handler (a waiting long poll holds every frame on the way, once per
/// connection). A handler's errors are rendered into the response before it is observed, as for any middleware.
public protocol HTTPResponseObserver: SynchronousHTTPMiddleware {
    /// Called with the request (its `route` set; nil for 404/405), its response, and when the router began it.
    func observe(_ request: HTTPRequest, _ response: HTTPResponse, since start: ContinuousClock.Instant)
}

extension HTTPResponseObserver {
    /// Runs `next`, then observes its response.
    public func handle(_ request: HTTPRequest, context: RequestContext, next: Next) async throws -> HTTPResponse {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        observe(request, response, since: start)
        return response
    }

    /// Runs `next`, then observes its response.
    public func handleSynchronously(
        _ request: HTTPRequest,
        context: RequestContext,
        next: (HTTPRequest, RequestContext) throws -> HTTPResponse
    ) throws -> HTTPResponse {
        let start = ContinuousClock.now
        let response = try next(request, context)
        observe(request, response, since: start)
        return response
    }
}
