import Synchronization

/// Holds every metric family of a process and renders them in the text exposition format 0.0.4.
///
/// Register families once at start-up and keep the returned handles; registering the same name again with
/// the same type, help and label names returns the existing family, anything else throws ``MetricsError``.
/// Output is ordered by metric name, then by label values, so two scrapes of the same state are equal.
///
/// ```swift
/// let registry = MetricsRegistry()
/// let runs = try registry.counter("prostagma_runs_total", help: "Runs reported by agents.")
/// runs.increment()
/// let body = registry.render()   // serve with Exposition.contentType
/// ```
public final class MetricsRegistry: Sendable {
    private struct Collectors {
        var byName: [String: any MetricCollector] = [:]
        /// `byName`'s values in name order; nil after a registration or removal until the next render sorts again.
        var sorted: [any MetricCollector]? = []
    }

    private let collectors = Mutex(Collectors())
    /// The size of the last rendering, so the next one reserves its buffer once instead of regrowing it.
    private let lastRenderSize = Atomic<Int>(4096)

    /// Creates an empty registry.
    public init() {}

    /// A counter without labels. The name should end in `_total`.
    public func counter(_ name: String, help: String) throws(MetricsError) -> Counter {
        try counterFamily(name, help: help, labelNames: []).labels([])
    }

    /// A counter family with label names; call ``CounterFamily/labels(_:)-(String...)`` for a series.
    public func counterFamily(_ name: String, help: String, labelNames: [String]) throws(MetricsError) -> CounterFamily
    {
        try Exposition.validate(name: name, labelNames: labelNames)
        return try register(CounterFamily(name: name, help: help, labelNames: labelNames))
    }

    /// A gauge without labels.
    public func gauge(_ name: String, help: String) throws(MetricsError) -> Gauge {
        try gaugeFamily(name, help: help, labelNames: []).labels([])
    }

    /// A gauge family with label names.
    public func gaugeFamily(_ name: String, help: String, labelNames: [String]) throws(MetricsError) -> GaugeFamily {
        try Exposition.validate(name: name, labelNames: labelNames)
        return try register(GaugeFamily(name: name, help: help, labelNames: labelNames))
    }

    /// A histogram without labels, with the given bucket upper bounds (`+Inf` is added).
    public func histogram(
        _ name: String, help: String, buckets: [Double] = Histogram.defaultBuckets
    ) throws(MetricsError) -> Histogram {
        try histogramFamily(name, help: help, labelNames: [], buckets: buckets).labels([])
    }

    /// A histogram family with label names and bucket upper bounds (strictly increasing; `+Inf` is added).
    public func histogramFamily(
        _ name: String, help: String, labelNames: [String], buckets: [Double] = Histogram.defaultBuckets
    ) throws(MetricsError) -> HistogramFamily {
        try Exposition.validate(name: name, labelNames: labelNames, reserved: ["le"])
        var bounds = buckets
        if bounds.last == .infinity { bounds.removeLast() }
        guard !bounds.isEmpty, !bounds.contains(where: { $0.isNaN || $0.isInfinite }),
            zip(bounds, bounds.dropFirst()).allSatisfy({ $0 < $1 })
        else { throw MetricsError(.invalidBuckets, metricName: name) }
        return try register(HistogramFamily(name: name, help: help, labelNames: labelNames, buckets: bounds))
    }

    /// A gauge whose value `value` computes at every scrape (for example open long polls or cache bytes).
    public func computedGauge(
        _ name: String, help: String, value: @escaping @Sendable () -> Double
    ) throws(MetricsError) {
        try computed(name, help: help, type: .gauge, labelNames: []) { [Sample(value: value())] }
    }

    /// A family of type `type` (gauge or counter) whose series `samples` computes at every scrape.
    ///
    /// Samples whose label value count differs from `labelNames` are dropped; if two samples carry the same
    /// label values, the first is kept. The closure must not call back into this registry.
    public func computed(
        _ name: String, help: String, type: MetricType = .gauge, labelNames: [String],
        samples: @escaping @Sendable () -> [Sample]
    ) throws(MetricsError) {
        try Exposition.validate(name: name, labelNames: labelNames)
        let family = ComputedFamily(name: name, help: help, type: type, labelNames: labelNames, samples: samples)
        _ = try register(family)
    }

    /// Adds the standard process metrics, read from /proc at most every 100 ms: `process_cpu_seconds_total`,
    /// `process_resident_memory_bytes`, `process_virtual_memory_bytes`, `process_open_fds`,
    /// `process_max_fds` and `process_start_time_seconds`. Calling it twice is harmless.
    public func registerProcessMetrics() {
        collectors.withLock { collectors in
            if collectors.byName[ProcessMetrics.collectorName] == nil {
                collectors.byName[ProcessMetrics.collectorName] = ProcessMetrics()
                collectors.sorted = nil
            }
        }
    }

    /// Removes the family registered under `name`; its handles keep working but are no longer rendered.
    public func unregister(_ name: String) {
        collectors.withLock { collectors in
            if collectors.byName.removeValue(forKey: name) != nil { collectors.sorted = nil }
        }
    }

    /// The whole registry in the text exposition format 0.0.4 (serve it with ``Exposition/contentType``).
    public func render() -> String {
        let snapshot = collectors.withLock { collectors in
            if let sorted = collectors.sorted { return sorted }
            let sorted = collectors.byName.values.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
            collectors.sorted = sorted
            return sorted
        }
        var out = ""
        out.reserveCapacity(lastRenderSize.load(ordering: .relaxed) + 1024)
        for collector in snapshot {
            collector.render(into: &out)
        }
        lastRenderSize.store(out.utf8.count, ordering: .relaxed)
        return out
    }

    private func register<Family: MetricCollector>(_ family: Family) throws(MetricsError) -> Family {
        let result: Result<Family, MetricsError> = collectors.withLock { collectors in
            if let existing = collectors.byName[family.name] {
                if let same = existing as? Family, existing.signature == family.signature {
                    return .success(same)
                }
                return .failure(MetricsError(.conflictingRegistration, metricName: family.name))
            }
            collectors.byName[family.name] = family
            collectors.sorted = nil
            return .success(family)
        }
        return try result.get()
    }
}
