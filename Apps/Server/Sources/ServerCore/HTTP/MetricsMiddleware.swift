import HTTPCore

/// Counts and times every request by route template (never the raw path: bounded cardinality).
///
/// An observer (HTTPCore's ``HTTPResponseObserver``): it runs after each answer on the event loop's path and the
/// task's alike, and adds no frames between the server and a handler (a waiting long poll holds them).
struct MetricsMiddleware: HTTPResponseObserver {
    let metrics: ServerMetrics

    func observe(_ request: HTTPRequest, _ response: HTTPResponse, since start: ContinuousClock.Instant) {
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
