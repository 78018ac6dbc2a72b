#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension KeyedDecodingContainer {
    /// Decodes an optional ``Timestamp`` text; a text that is not one is a `dataCorrupted` error at `key`.
    func decodeTimestampIfPresent(forKey key: Key) throws -> Date? {
        guard let text = try decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let date = Timestamp.parse(text) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: codingPath + [key],
                    debugDescription: "'\(text)' is not an RFC 3339 time like 2026-11-25T10:00:00.123Z"))
        }
        return date
    }

    /// Decodes a required ``Timestamp`` text.
    func decodeTimestamp(forKey key: Key) throws -> Date {
        guard let date = try decodeTimestampIfPresent(forKey: key) else {
            throw DecodingError.valueNotFound(
                Date.self, .init(codingPath: codingPath + [key], debugDescription: "expected a time, found null"))
        }
        return date
    }
}
