/// Hides credentials that URLs carry before they are printed (logs, error details).
public enum Redaction {
    /// What replaces the user information of a URL.
    public static let elided = "***"

    /// `text` with the user information of every URL in it (`http://user:pw@host/` → `http://***@host/`) elided,
    /// in plain form and percent-encoded as in a query string (`http%3A%2F%2Fuser%3Apw%40host`).
    public static func elidingUserinfo(in text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "@")) || text.utf8.contains(UInt8(ascii: "%")) else { return text }
        var result = elide(Array(text.utf8), separator: Array("://".utf8), at: Array("@".utf8), ends: plainEnds)
        result = elide(result, separator: Array("%3a%2f%2f".utf8), at: Array("%40".utf8), ends: encodedEnds)
        return String(decoding: result, as: UTF8.self)
    }

    private static let plainEnds: [[UInt8]] = ["/", "?", "#", " ", "\t", "\n", "\r", "'", "\"", "<", ">", "`", ")"]
        .map { Array($0.utf8) }
    private static let encodedEnds: [[UInt8]] =
        ["%2f", "%3f", "%23", "&", "/", "?", "#", " ", "\t", "\n", "\r", "'", "\"", "<", ">", "`", ")"].map {
            Array($0.utf8)
        }

    private static func matches(_ bytes: [UInt8], _ pattern: [UInt8], at index: Int) -> Bool {
        guard index + pattern.count <= bytes.count else { return false }
        for offset in 0..<pattern.count where lower(bytes[index + offset]) != lower(pattern[offset]) { return false }
        return true
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }

    private static func elide(_ bytes: [UInt8], separator: [UInt8], at: [UInt8], ends: [[UInt8]]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            guard matches(bytes, separator, at: index) else {
                output.append(bytes[index])
                index += 1
                continue
            }
            output.append(contentsOf: bytes[index..<index + separator.count])
            let start = index + separator.count
            var end = start
            while end < bytes.count, !ends.contains(where: { matches(bytes, $0, at: end) }) { end += 1 }
            // The last `@` of the authority ends the user information (a password may contain an encoded `@`).
            var lastAt: Int?
            var scan = start
            while scan < end {
                if matches(bytes, at, at: scan) { lastAt = scan }
                scan += 1
            }
            if let lastAt {
                output.append(contentsOf: Array(elided.utf8))
                output.append(contentsOf: bytes[lastAt..<end])
            } else {
                output.append(contentsOf: bytes[start..<end])
            }
            index = end
        }
        return output
    }
}
