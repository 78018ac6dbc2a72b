/// Parses durations written as in build scripts and flags: `30s`, `10m`, `1h`, `500ms`, `1h30m`, or a bare
/// number of seconds (`45`, `2.5`).
public enum DurationParser {
    /// The duration `text` denotes, or nil when it is not a duration.
    public static func parse(_ text: String) -> Duration? {
        let s = text.trimmingWhitespace()
        if s.isEmpty { return nil }
        if let seconds = Double(s), seconds.isFinite, seconds >= 0 { return .milliseconds(Int64(seconds * 1000)) }
        var total: Duration = .zero
        var index = s.startIndex
        var sawComponent = false
        while index < s.endIndex {
            let numberStart = index
            while index < s.endIndex, s[index].isASCII, s[index].isNumber || s[index] == "." {
                index = s.index(after: index)
            }
            guard numberStart < index, let value = Double(s[numberStart..<index]), value.isFinite else { return nil }
            let unitStart = index
            while index < s.endIndex, s[index].isLetter { index = s.index(after: index) }
            let unit = s[unitStart..<index]
            let millisPerUnit: Double
            switch unit {
            case "ms": millisPerUnit = 1
            case "s": millisPerUnit = 1000
            case "m": millisPerUnit = 60_000
            case "h": millisPerUnit = 3_600_000
            case "d": millisPerUnit = 86_400_000
            default: return nil
            }
            total += .milliseconds(Int64(value * millisPerUnit))
            sawComponent = true
        }
        return sawComponent ? total : nil
    }

    /// `duration` written back in the shortest unit that is exact (`10m`, `1500ms`), for messages.
    public static func format(_ duration: Duration) -> String {
        let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if ms % 3_600_000 == 0 && ms > 0 { return "\(ms / 3_600_000)h" }
        if ms % 60_000 == 0 && ms > 0 { return "\(ms / 60_000)m" }
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        return "\(ms)ms"
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
