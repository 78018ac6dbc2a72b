import HTTPCore

/// Counts and times every request by route template (never the raw path: bounded cardinality).
///
/// An observer (HTTPCore's ``HTTPResponseObserver``): it runs after each answer on the event loop's path and the
/// task's alike, and adds no frames between the server and a handler (a waiting long poll holds them).
struct MetricsMiddleware: HTTPResponseObserver {
    let metrics: ServerMetrics

    func observe(_ request: HTTPRequest, _ response: HTTPResponse, since start: ContinuousClock.Instant) {
        let route = request.route ?? Self.unmatchedRoute(for: request)
        let method: String
        switch request.method {
        case .GET, .HEAD, .POST, .PUT, .DELETE, .PATCH, .OPTIONS: method = request.method.rawValue
        default: method = "other"
        }
        let series = metrics.requestSeries(route: route, method: method, status: response.status.code)
        series.count.increment()
        series.duration.observe(ContinuousClock.now - start)
    }

    /// The router sets `route` inside its chain; middleware sees the original request, so match again.
    static func unmatchedRoute(for request: HTTPRequest) -> String {
        "unmatched"
    }
}
