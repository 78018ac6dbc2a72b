/// One series of a computed family: label values (one per label name) and the value at scrape time.
public struct Sample: Sendable, Hashable {
    /// The label values, one per label name of the family, in order.
    public var labelValues: [String]
    /// The value.
    public var value: Double

    /// Creates a sample.
    public init(labelValues: [String] = [], value: Double) {
        self.labelValues = labelValues
        self.value = value
    }
}

/// A gauge or counter whose series are computed by a closure at every scrape (open watchers, cache bytes).
///
/// The closure runs on the scraping task, so it must be quick and must not call back into the registry.
final class ComputedFamily: Sendable, MetricCollector {
    let name: String
    let help: String
    let type: MetricType
    let labelNames: [String]
    let samples: @Sendable () -> [Sample]

    init(
        name: String, help: String, type: MetricType, labelNames: [String], samples: @escaping @Sendable () -> [Sample]
    ) {
        self.name = name
        self.help = help
        self.type = type
        self.labelNames = labelNames
        self.samples = samples
    }

    var signature: CollectorSignature { .init(type: type, help: help, labelNames: labelNames, computed: true) }

    func render(into out: inout String) {
        let samples = self.samples()
            .filter { $0.labelValues.count == labelNames.count }
            .sorted { lexicographicallyPrecedes($0.labelValues, $1.labelValues) }
        if samples.isEmpty && !labelNames.isEmpty { return }
        Exposition.appendHeader(name: name, help: help, type: type, to: &out)
        var previous: [String]? = nil
        for sample in samples where sample.labelValues != previous {
            // A duplicate series would make the scrape invalid; the first one wins.
            previous = sample.labelValues
            out += name
            out += Exposition.labelText(names: labelNames, values: sample.labelValues)
            out += " "
            out += Exposition.formatValue(sample.value)
            out += "\n"
        }
    }
}
