/// A gauge with label names; each distinct set of label values is one ``Gauge`` series.
public final class GaugeFamily: Sendable, MetricCollector {
    /// The metric name.
    public let name: String
    /// The HELP text.
    public let help: String
    /// The label names, in the order ``labels(_:)`` takes values.
    public let labelNames: [String]
    private let children = LabelledChildren<Gauge>()

    init(name: String, help: String, labelNames: [String]) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
    }

    var signature: CollectorSignature { .init(type: .gauge, help: help, labelNames: labelNames) }

    /// The series for these label values (one per label name, in order), created at zero on first use.
    public func labels(_ values: String...) -> Gauge {
        labels(values)
    }

    /// The series for these label values (one per label name, in order), created at zero on first use.
    public func labels(_ values: [String]) -> Gauge {
        precondition(
            values.count == labelNames.count,
            "metric \(name) takes \(labelNames.count) label values, got \(values.count)")
        return children.child(for: values) {
            Gauge(labelText: Exposition.labelText(names: labelNames, values: values))
        }
    }

    /// Removes the series with these label values (it no longer appears in the output).
    public func remove(_ values: String...) {
        children.remove(values)
    }

    func render(into out: inout String) {
        let series = children.sorted()
        if series.isEmpty && !labelNames.isEmpty { return }
        Exposition.appendHeader(name: name, help: help, type: .gauge, to: &out)
        for gauge in series {
            out += name
            out += gauge.labelText
            out += " "
            out += Exposition.formatValue(gauge.value)
            out += "\n"
        }
    }
}
