import Foundation

/// Parses a `Range` request header against an artifact's size (RFC 9110 §14): one `bytes=` range.
enum ByteRange: Equatable {
    /// No usable range: serve everything with 200 (absent, malformed or several ranges, which we may ignore).
    case full
    /// Serve these bytes with 206.
    case partial(Range<Int64>)
    /// The range starts past the end: 416 with `Content-Range: bytes */size`.
    case unsatisfiable

    static func parse(_ header: String?, size: Int64) -> ByteRange {
        guard let header = header?.trimmingCharacters(in: .whitespaces), header.lowercased().hasPrefix("bytes=") else {
            return .full
        }
        let spec = header.dropFirst(6).trimmingCharacters(in: .whitespaces)
        if spec.contains(",") { return .full }
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .full }
        let first = parts[0].trimmingCharacters(in: .whitespaces)
        let last = parts[1].trimmingCharacters(in: .whitespaces)
        if first.isEmpty {
            // Suffix range: the last N bytes.
            guard let count = Int64(last), count >= 0, last.allSatisfy(\.isNumber) else { return .full }
            if count == 0 { return .unsatisfiable }
            return .partial(max(0, size - count)..<size)
        }
        guard let start = Int64(first), first.allSatisfy(\.isNumber) else { return .full }
        var end = size - 1
        if !last.isEmpty {
            guard let value = Int64(last), last.allSatisfy(\.isNumber), value >= start else { return .full }
            end = min(value, size - 1)
        }
        if start >= size { return .unsatisfiable }
        return .partial(start..<(end + 1))
    }
}
