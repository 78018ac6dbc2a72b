/// The one error this package throws: a registration that cannot be honoured.
///
/// The message names the metric (and the label, when a label is at fault) and says what was wrong.
public struct MetricsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, without the metric's name.
    public enum Kind: Sendable, Hashable {
        /// The metric name does not match `[a-zA-Z_:][a-zA-Z0-9_:]*`.
        case invalidMetricName
        /// A label name does not match `[a-zA-Z_][a-zA-Z0-9_]*`, starts with `__` or is reserved (`le`).
        case invalidLabelName(String)
        /// The same label name appears twice in one family.
        case duplicateLabelName(String)
        /// The name is already registered with another type, help text or label names.
        case conflictingRegistration
        /// Histogram buckets are empty, not increasing, or contain NaN.
        case invalidBuckets
    }

    /// What went wrong.
    public let kind: Kind
    /// The metric name the registration was for.
    public let metricName: String

    /// Creates an error for `metricName`.
    public init(_ kind: Kind, metricName: String) {
        self.kind = kind
        self.metricName = metricName
    }

    /// A sentence naming the metric and the fault.
    public var description: String {
        switch kind {
        case .invalidMetricName:
            return "metric name \"\(metricName)\" is invalid: it must match [a-zA-Z_:][a-zA-Z0-9_:]*"
        case .invalidLabelName(let label):
            return "metric \"\(metricName)\": label name \"\(label)\" is invalid: it must match "
                + "[a-zA-Z_][a-zA-Z0-9_]*, not start with \"__\" and not be \"le\""
        case .duplicateLabelName(let label):
            return "metric \"\(metricName)\": label name \"\(label)\" appears twice"
        case .conflictingRegistration:
            return "metric \"\(metricName)\" is already registered with another type, help text or label names"
        case .invalidBuckets:
            return "metric \"\(metricName)\": histogram buckets must be non-empty, strictly increasing and not NaN"
        }
    }
}
