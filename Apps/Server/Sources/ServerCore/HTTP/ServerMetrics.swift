import ArtifactCache
import Foundation
import PrometheusMetrics
import Synchronization

/// The server's Prometheus metrics (DESIGN.md "Metrics names"), registered on one registry.
///
/// Counts that already live elsewhere (trigger counts, open long polls, agents, cache statistics) are
/// computed at scrape time, so they can never disagree with the state they describe.
public final class ServerMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: MetricsRegistry
    let triggersTotal: CounterFamily
    let requestsTotal: CounterFamily
    let requestDuration: HistogramFamily
    let fetchDuration: HistogramFamily
    let connectionTimeouts: CounterFamily
    /// Each (route, method, status)'s request series, found under one lock with one hash of the route: through the
    /// families, every request would build two label arrays and take two locks.
    private let requestSeries = Mutex<[RequestSeriesKey: RequestSeries]>([:])

    private struct RequestSeriesKey: Hashable {
        let route: String
        let method: String
        let status: UInt
    }

    struct RequestSeries: Sendable {
        let count: Counter
        let duration: Histogram
    }

    /// The `prostagma_http_requests_total` series of `route`, `method` and `status`, and the route's
    /// `prostagma_http_request_duration_seconds` series, each created on first use.
    func requestSeries(route: String, method: String, status: UInt) -> RequestSeries {
        let key = RequestSeriesKey(route: route, method: method, status: status)
        if let known = requestSeries.withLock({ $0[key] }) { return known }
        let series = RequestSeries(
            count: requestsTotal.labels(route, method, String(status)), duration: requestDuration.labels(route))
        requestSeries.withLock { $0[key] = series }
        return series
    }

    init(hub: TriggerHub, agents: AgentRegistry, cache: ArtifactCache?) throws {
        let registry = MetricsRegistry()
        self.registry = registry
        triggersTotal = try registry.counterFamily(
            "prostagma_triggers_total", help: "Trigger increments committed by this process.", labelNames: ["trigger"])
        requestsTotal = try registry.counterFamily(
            "prostagma_http_requests_total", help: "HTTP requests answered, by route template, method and status.",
            labelNames: ["route", "method", "status"])
        requestDuration = try registry.histogramFamily(
            "prostagma_http_request_duration_seconds", help: "Time to answer HTTP requests (long polls included).",
            labelNames: ["route"], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60])
        fetchDuration = try registry.histogramFamily(
            "prostagma_artifact_fetch_duration_seconds",
            help: "Time to fetch an artifact from upstream into the cache.",
            labelNames: ["source"], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300])
        connectionTimeouts = try registry.counterFamily(
            "prostagma_http_connection_timeouts_total",
            help: "Connections the server closed because a client was too slow, by timer: header_read, "
                + "body_too_slow (the body came slower than the minimum rate), request, idle.",
            labelNames: ["reason"])
        try registry.computed(
            // DESIGN.md names it prostagma_trigger_count; promtool rejects a gauge ending in _count (docs/decisions.md).
            "prostagma_trigger_count_current", help: "Current count of each trigger (durable).",
            labelNames: ["trigger"]
        ) {
            hub.all().map { Sample(labelValues: [$0.trigger], value: Double($0.count)) }
        }
        try registry.computed("prostagma_watchers", help: "Open long polls per trigger.", labelNames: ["trigger"]) {
            hub.watcherCounts().sorted { $0.key < $1.key }.map {
                Sample(labelValues: [$0.key], value: Double($0.value))
            }
        }
        try registry.computed(
            "prostagma_agents", help: "Agents known to the server, by liveness.", labelNames: ["state"]
        ) {
            let counts = agents.counts(now: Date())
            return AgentRegistry.Liveness.allCases.map {
                Sample(labelValues: [$0.rawValue], value: Double(counts[$0, default: 0]))
            }
        }
        try registry.computed(
            "prostagma_artifact_cache_hits_total", help: "Artifact requests answered from the cache.", type: .counter,
            labelNames: []
        ) { [Sample(value: Double(cache?.statistics.hits ?? 0))] }
        try registry.computed(
            "prostagma_artifact_cache_misses_total", help: "Artifact requests that needed an upstream fetch.",
            type: .counter, labelNames: []
        ) { [Sample(value: Double(cache?.statistics.misses ?? 0))] }
        try registry.computed(
            "prostagma_artifact_cache_bytes", help: "Bytes the artifact cache holds on disk.", labelNames: []
        ) { [Sample(value: Double(cache?.statistics.storedBytes ?? 0))] }
        registry.registerProcessMetrics()
    }
}
