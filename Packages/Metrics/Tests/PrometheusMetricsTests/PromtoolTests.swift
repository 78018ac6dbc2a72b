import Testing

@testable import PrometheusMetrics

@Suite(.enabled(if: Promtool.path != nil, "promtool (Debian prometheus) is not installed"), .timeLimit(.minutes(2)))
struct PromtoolTests {
    @Test func promtoolAcceptsEveryKindTrickyLabelsAndProcessMetricsWithoutComplaint() throws {
        let registry = MetricsRegistry()
        registry.registerProcessMetrics()
        let requests = try registry.counterFamily(
            "prostagma_http_requests_total", help: "HTTP requests by route, method and status.",
            labelNames: ["route", "method", "status"])
        requests.labels("/v1/triggers/:name", "POST", "200").increment(by: 3)
        requests.labels("we\"ird\\route\nwith newline", "GET", "404").increment()
        requests.labels("ünïcödé ✓", "GET", "500").increment(by: 0.5)
        try registry.counter("prostagma_empty_total", help: "Never incremented.").increment(by: 0)
        let watchers = try registry.gaugeFamily(
            "prostagma_trigger_watchers", help: "Agents waiting, with \"quotes\" and a \\ backslash.",
            labelNames: ["trigger"])
        watchers.labels("deploy").set(12)
        watchers.labels("").set(-2)
        try registry.gauge("prostagma_temperature_celsius", help: "Positive infinity.").set(.infinity)
        try registry.gauge("prostagma_ratio", help: "Negative infinity.").set(-.infinity)
        try registry.gauge("prostagma_unknown_ratio", help: "Not a number.").set(.nan)
        try registry.gauge("prostagma_small_ratio", help: "Tiny.").set(1e-9)
        let latency = try registry.histogramFamily(
            "prostagma_http_request_duration_seconds", help: "Latency by route.", labelNames: ["route"])
        for value in [0.001, 0.02, 0.3, 4, 99] { latency.labels("/metrics").observe(value) }
        latency.labels("/v1/runs").observe(0.1)
        let sizes = try registry.histogram(
            "prostagma_artifact_size_bytes", help: "Sizes.", buckets: [1024, 1_048_576, 1e9, .infinity])
        sizes.observe(2048)
        try registry.computedGauge("prostagma_cache_bytes", help: "Bytes in the cache.") { 123_456_789 }
        try registry.computed(
            "prostagma_agents_connected", help: "Agents per trigger.", labelNames: ["trigger", "host"]
        ) {
            [Sample(labelValues: ["a", "h1"], value: 1), Sample(labelValues: ["a", "h\"2"], value: 2)]
        }
        let text = registry.render()
        #expect(text.contains("process_open_fds "))
        let result = try Promtool.checkMetrics(text)
        #expect(result.status == 0, "promtool: \(result.output)\n\(text)")
        #expect(result.output.isEmpty, "promtool complained: \(result.output)\n\(text)")
    }

    @Test func promtoolReallyLintsSoTheCheckAboveCanFail() throws {
        let text = "# HELP requests Requests.\n# TYPE requests counter\nrequests 1\n"
        let result = try Promtool.checkMetrics(text)
        #expect(result.output.contains("_total"))
    }
}
