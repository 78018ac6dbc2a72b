/// Pure helpers for the Prometheus text exposition format 0.0.4: names, escaping and numbers.
///
/// Kept apart from the registry so each rule can be tested on its own.
public enum Exposition {
    /// The `Content-Type` a `/metrics` response must carry.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Whether `name` is a valid metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`).
    public static func isValidMetricName(_ name: String) -> Bool {
        var first = true
        for byte in name.utf8 {
            let ok =
                isLetter(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") || (!first && isDigit(byte))
            if !ok { return false }
            first = false
        }
        return !first
    }

    /// Whether `name` is a valid label name (`[a-zA-Z_][a-zA-Z0-9_]*`, not starting with the reserved `__`).
    public static func isValidLabelName(_ name: String) -> Bool {
        if name.hasPrefix("__") { return false }
        var first = true
        for byte in name.utf8 {
            let ok = isLetter(byte) || byte == UInt8(ascii: "_") || (!first && isDigit(byte))
            if !ok { return false }
            first = false
        }
        return !first
    }

    /// Escapes a label value: backslash, double quote and line feed.
    public static func escapeLabelValue(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == 0x5C || $0 == 0x22 || $0 == 0x0A }) else { return value }
        var out = ""
        out.reserveCapacity(value.utf8.count + 8)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Escapes HELP text: backslash and line feed (a double quote stays as it is).
    public static func escapeHelp(_ help: String) -> String {
        guard help.utf8.contains(where: { $0 == 0x5C || $0 == 0x0A }) else { return help }
        var out = ""
        out.reserveCapacity(help.utf8.count + 8)
        for scalar in help.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Formats a sample value the way Prometheus parses it: `+Inf`, `-Inf`, `NaN`, whole numbers without
    /// a fraction (`3`), everything else in Swift's shortest round-tripping form (`0.25`, `1e-07`).
    public static func formatValue(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 {
            return String(Int64(value))
        }
        return value.description
    }

    /// Renders `{name="value",...}` for the given names and values (escaped), or "" when there are none.
    static func labelText(names: [String], values: [String]) -> String {
        if names.isEmpty { return "" }
        var out = "{"
        for index in names.indices {
            if index > 0 { out += "," }
            out += names[index]
            out += "=\""
            out += escapeLabelValue(values[index])
            out += "\""
        }
        out += "}"
        return out
    }

    /// Appends the `# HELP` and `# TYPE` lines of a family.
    static func appendHeader(name: String, help: String, type: MetricType, to out: inout String) {
        out += "# HELP "
        out += name
        out += " "
        out += escapeHelp(help)
        out += "\n# TYPE "
        out += name
        out += " "
        out += type.rawValue
        out += "\n"
    }

    /// Checks a metric name and its label names, throwing the error a registration reports.
    static func validate(name: String, labelNames: [String], reserved: Set<String> = []) throws(MetricsError) {
        guard isValidMetricName(name) else { throw MetricsError(.invalidMetricName, metricName: name) }
        var seen = Set<String>()
        for label in labelNames {
            guard isValidLabelName(label), !reserved.contains(label) else {
                throw MetricsError(.invalidLabelName(label), metricName: name)
            }
            guard seen.insert(label).inserted else { throw MetricsError(.duplicateLabelName(label), metricName: name) }
        }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= 0x30 && byte <= 0x39
    }
}

/// The `# TYPE` of a metric family.
public enum MetricType: String, Sendable, Hashable {
    /// A value that only goes up (names end in `_total`).
    case counter
    /// A value that goes up and down.
    case gauge
    /// Observations counted into cumulative buckets, with `_sum` and `_count`.
    case histogram
    /// A metric of unknown type.
    case untyped
}
