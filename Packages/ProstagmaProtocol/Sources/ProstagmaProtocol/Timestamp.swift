#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The wire's time format: RFC 3339 in UTC with milliseconds (`2026-11-25T10:00:00.123Z`).
public enum Timestamp {
    /// Renders `date` as `2026-11-25T10:00:00.123Z`, rounded to the nearest millisecond.
    ///
    /// Done by arithmetic rather than `ISO8601FormatStyle`, which truncates: a time parsed from `.123Z` is held as
    /// `.12299…` and would print as `.122Z`.
    public static func format(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (days, dayMillis) = floorDivision(millis, 86_400_000)
        let (year, month, day) = civil(fromDays: days)
        let seconds = dayMillis / 1000
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(seconds / 3600, 2) + ":"
            + pad(seconds / 60 % 60, 2) + ":" + pad(seconds % 60, 2) + "." + pad(dayMillis % 1000, 3) + "Z"
    }

    static func floorDivision(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b
        let r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    /// The proleptic Gregorian date `days` after 1970-01-01 (H. Hinnant's `civil_from_days`).
    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    /// Parses RFC 3339 with or without fractional seconds; `nil` when `text` is not one.
    public static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
            return date
        }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return date }
        return parseOffsetTime(text)
    }

    /// RFC 3339 times Foundation's ISO 8601 parser refuses (it was a schemathesis finding, issue 19): a lower-case
    /// `t` or `z`, and offsets beyond ±18 hours (RFC 3339 allows up to ±23:59). Parsed as UTC, then shifted.
    static func parseOffsetTime(_ text: String) -> Date? {
        var utc = text.uppercased()
        var offset = 0
        if !utc.hasSuffix("Z") {
            let tail = Array(utc.suffix(6))
            func number(_ digits: ArraySlice<Character>) -> Int? {
                digits.allSatisfy { $0.isASCII && $0.isNumber } ? Int(String(digits)) : nil
            }
            guard tail.count == 6, tail[0] == "+" || tail[0] == "-", tail[3] == ":", let hours = number(tail[1...2]),
                let minutes = number(tail[4...5]), hours <= 23, minutes <= 59
            else { return nil }
            offset = (hours * 3600 + minutes * 60) * (tail[0] == "-" ? -1 : 1)
            utc = String(utc.dropLast(6)) + "Z"
        }
        guard
            let date = (try? Date(utc, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
                ?? (try? Date(utc, strategy: Date.ISO8601FormatStyle()))
        else { return nil }
        return date.addingTimeInterval(TimeInterval(-offset))
    }
}
