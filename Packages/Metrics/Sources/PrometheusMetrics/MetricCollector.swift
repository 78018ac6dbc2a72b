/// Anything the registry renders: a family of series, a computed family, or process metrics.
protocol MetricCollector: Sendable {
    /// The name it is registered and sorted under.
    var name: String { get }
    /// What a second registration of the same name must match to return this collector.
    var signature: CollectorSignature { get }
    /// Appends this collector's families (HELP, TYPE and samples) to `out`.
    func render(into out: inout String)
}

/// Type, help and label names: two registrations with equal signatures share one collector.
struct CollectorSignature: Hashable, Sendable {
    var type: MetricType
    var help: String
    var labelNames: [String]
    var buckets: [Double] = []
    var computed: Bool = false
}
