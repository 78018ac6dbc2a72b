import HTTPCore

/// Counts and times every request by route template (never the raw path: bounded cardinality).
///
/// Synchronous as well, so the server answers the synchronous routes (`GET /trigger`, `/metrics`, ...) on the event
/// loop; both paths record the same way.
struct MetricsMiddleware: SynchronousHTTPMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: HTTPRequest, context: RequestContext, next: Next) async throws -> HTTPResponse {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        record(request, response, since: start)
        return response
    }

    func handleSynchronously(
        _ request: HTTPRequest,
        context: RequestContext,
        next: (HTTPRequest, RequestContext) throws -> HTTPResponse
    ) throws -> HTTPResponse {
        let start = ContinuousClock.now
        let response = try next(request, context)
        record(request, response, since: start)
        return response
    }

    private func record(_ request: HTTPRequest, _ response: HTTPResponse, since start: ContinuousClock.Instant) {
        let route = request.route ?? Self.unmatchedRoute(for: request)
        let method = Self.knownMethods.contains(request.method.rawValue) ? request.method.rawValue : "other"
        metrics.requestsTotal.labels(route, method, String(response.status.code)).increment()
        metrics.requestDuration.labels(route).observe(ContinuousClock.now - start)
    }

    static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]

    /// The router sets `route` inside its chain; middleware sees the original request, so match again.
    static func unmatchedRoute(for request: HTTPRequest) -> String {
        "unmatched"
    }
}
