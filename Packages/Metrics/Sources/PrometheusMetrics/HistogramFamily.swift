/// A histogram with label names and fixed buckets; each distinct set of label values is one ``Histogram``.
public final class HistogramFamily: Sendable, MetricCollector {
    /// The metric name (the output adds `_bucket`, `_sum` and `_count`).
    public let name: String
    /// The HELP text.
    public let help: String
    /// The label names, in the order ``labels(_:)`` takes values.
    public let labelNames: [String]
    /// The bucket upper bounds, strictly increasing; `+Inf` is implicit.
    public let buckets: [Double]
    private let formattedBounds: [String]
    private let children = LabelledChildren<Histogram>()

    init(name: String, help: String, labelNames: [String], buckets: [Double]) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
        self.buckets = buckets
        self.formattedBounds = buckets.map(Exposition.formatValue) + ["+Inf"]
    }

    var signature: CollectorSignature {
        .init(type: .histogram, help: help, labelNames: labelNames, buckets: buckets)
    }

    /// The series for these label values (one per label name, in order), created empty on first use.
    public func labels(_ values: String...) -> Histogram {
        labels(values)
    }

    /// The series for these label values (one per label name, in order), created empty on first use.
    public func labels(_ values: [String]) -> Histogram {
        precondition(
            values.count == labelNames.count,
            "metric \(name) takes \(labelNames.count) label values, got \(values.count)")
        return children.child(for: values) {
            let text = Exposition.labelText(names: labelNames, values: values)
            return Histogram(upperBounds: buckets, labelPairs: text.isEmpty ? "" : String(text.dropFirst().dropLast()))
        }
    }

    /// Removes the series with these label values (it no longer appears in the output).
    public func remove(_ values: String...) {
        children.remove(values)
    }

    func render(into out: inout String) {
        let series = children.sorted()
        if series.isEmpty && !labelNames.isEmpty { return }
        Exposition.appendHeader(name: name, help: help, type: .histogram, to: &out)
        for histogram in series {
            histogram.render(name: name, formattedBounds: formattedBounds, into: &out)
        }
    }
}
