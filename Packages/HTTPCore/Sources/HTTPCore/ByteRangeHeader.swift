/// A `Range: bytes=...` request header, resolved against a file size (pure; single ranges only).
enum ByteRangeHeader {
    enum Resolution: Equatable {
        /// Serve the whole file with 200 (no header, a malformed one, or several ranges: RFC 9110 lets us ignore it).
        case whole
        /// Serve these bytes with 206.
        case partial(Range<Int64>)
        /// Answer 416.
        case unsatisfiable
    }

    static func resolve(_ header: String?, fileSize: Int64) -> Resolution {
        guard let header, header.hasPrefix("bytes=") else { return .whole }
        let spec = header.dropFirst("bytes=".count).filter { $0 != " " }
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .whole }
        let first = spec[..<dash]
        let last = spec[spec.index(after: dash)...]
        if first.isEmpty {
            // bytes=-N: the last N bytes.
            guard let count = Int64(last), count >= 0 else { return .whole }
            guard count > 0, fileSize > 0 else { return .unsatisfiable }
            return .partial(max(0, fileSize - count)..<fileSize)
        }
        guard let start = Int64(first), start >= 0 else { return .whole }
        let end: Int64
        if last.isEmpty {
            end = fileSize - 1
        } else {
            guard let value = Int64(last), value >= start else { return .whole }
            end = min(value, fileSize - 1)
        }
        guard start < fileSize else { return .unsatisfiable }
        return .partial(start..<(end + 1))
    }
}
