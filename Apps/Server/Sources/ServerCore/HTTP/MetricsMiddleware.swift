import HTTPCore

/// Counts and times every request by route template (never the raw path: bounded cardinality).
struct MetricsMiddleware: HTTPMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: HTTPRequest, context: RequestContext, next: Next) async throws -> HTTPResponse {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let route = request.route ?? Self.unmatchedRoute(for: request)
        let method = Self.knownMethods.contains(request.method.rawValue) ? request.method.rawValue : "other"
        metrics.requestsTotal.labels(route, method, String(response.status.code)).increment()
        metrics.requestDuration.labels(route).observe(ContinuousClock.now - start)
        return response
    }

    static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]

    /// The router sets `route` inside its chain; middleware sees the original request, so match again.
    static func unmatchedRoute(for request: HTTPRequest) -> String {
        "unmatched"
    }
}
