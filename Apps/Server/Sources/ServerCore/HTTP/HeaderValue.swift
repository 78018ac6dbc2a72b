extension Substring {
    /// The text without leading and trailing HTTP whitespace (space and tab: RFC 9110's `OWS`), as a header value is
    /// read.
    ///
    /// Foundation's `trimmingCharacters(in: .whitespaces)` did the same for these headers through an `NSString`
    /// bridge, and was a twentieth of the server's CPU time on long polls, which read two headers each.
    func trimmingHTTPWhitespace() -> String {
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = utf8.firstIndex(where: { !isSpace($0) }), let last = utf8.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(self[first...last])
    }
}

extension String {
    /// See `Substring.trimmingHTTPWhitespace()`.
    func trimmingHTTPWhitespace() -> String { self[...].trimmingHTTPWhitespace() }
}
