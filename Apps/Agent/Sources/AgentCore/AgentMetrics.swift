import PrometheusMetrics

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The agent's metrics (DESIGN.md "Metrics names"), registered in one registry served on
/// `PROSTAGMA_PROM_PORT`.
public struct AgentMetrics: Sendable {
    /// The registry (render it for `/metrics`).
    public let registry: MetricsRegistry
    let runs: CounterFamily
    let runDuration: HistogramFamily
    let lastRun: GaugeFamily
    let triggerCount: GaugeFamily
    let pollErrors: Counter
    let downloadBytes: Counter

    /// Registers every agent metric and the process metrics in a new registry.
    public init() {
        let registry = MetricsRegistry()
        self.registry = registry
        // The names and label sets are constants, valid by construction.
        runs = try! registry.counterFamily(
            "prostagma_agent_runs_total", help: "Runs finished, by trigger and result.",
            labelNames: ["trigger", "result"])
        runDuration = try! registry.histogramFamily(
            "prostagma_agent_run_duration_seconds", help: "Run durations.", labelNames: ["trigger"],
            buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800])
        lastRun = try! registry.gaugeFamily(
            "prostagma_agent_last_run_timestamp_seconds",
            help: "When the last run of each result finished (seconds since 1970).",
            labelNames: ["trigger", "result"])
        triggerCount = try! registry.gaugeFamily(
            // DESIGN.md: prostagma_agent_trigger_count; promtool rejects a gauge ending in _count (docs/decisions.md).
            "prostagma_agent_trigger_count_current", help: "The trigger's count as last seen on the server.",
            labelNames: ["trigger"])
        pollErrors = try! registry.counter(
            "prostagma_agent_poll_errors_total", help: "Failed requests to the server while watching.")
        downloadBytes = try! registry.counter(
            "prostagma_agent_download_bytes_total", help: "Bytes written by download steps.")
        registry.registerProcessMetrics()
    }

    /// Records a finished run.
    public func runFinished(_ report: RunReport, duration: Duration) {
        runs.labels(report.trigger, report.status.rawValue).increment()
        runDuration.labels(report.trigger).observe(duration)
        lastRun.labels(report.trigger, report.status.rawValue).set(Date().timeIntervalSince1970)
    }

    /// Records the count seen for a trigger.
    public func observed(_ trigger: String, _ observation: Observation) {
        triggerCount.labels(trigger).set(observation.count)
    }

    /// Records a failed poll.
    public func pollFailed() { pollErrors.increment() }

    /// Records downloaded bytes.
    public func downloaded(_ bytes: Int64) { downloadBytes.increment(by: Double(bytes)) }

    /// The text exposition of every metric.
    public func render() -> String { registry.render() }
}
