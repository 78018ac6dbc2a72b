import Foundation

/// Reads sample values out of a Prometheus text exposition.
public struct PrometheusText: Sendable {
    /// The exposition text.
    public let text: String

    /// Wraps an exposition.
    public init(_ text: String) {
        self.text = text
    }

    /// The values of samples named `name` whose labels include every pair in `labels`.
    public func values(_ name: String, labels: [String: String] = [:]) -> [Double] {
        var result: [Double] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let sample = String(line)
            let nameEnd = sample.firstIndex(where: { $0 == "{" || $0 == " " }) ?? sample.endIndex
            guard sample[..<nameEnd] == name else { continue }
            var labelText = ""
            var rest = sample[nameEnd...]
            if rest.hasPrefix("{"), let close = rest.lastIndex(of: "}") {
                labelText = String(rest[rest.index(after: rest.startIndex)..<close])
                rest = rest[rest.index(after: close)...]
            }
            let matches = labels.allSatisfy { labelText.contains("\($0.key)=\"\($0.value)\"") }
            guard matches else { continue }
            let fields = rest.split(separator: " ")
            if let first = fields.first, let value = Double(first) { result.append(value) }
        }
        return result
    }

    /// The single value of `name` with `labels`, or nil when there is none.
    public func value(_ name: String, labels: [String: String] = [:]) -> Double? {
        values(name, labels: labels).first
    }
}
