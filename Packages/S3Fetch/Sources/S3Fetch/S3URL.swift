/// A parsed, validated `s3://bucket/key` URL.
///
/// Bucket names follow the S3 rules (3-63 characters of lowercase letters, digits, dots and hyphens,
/// starting and ending with a letter or digit, no `..`, not an IPv4 address); the key is everything after
/// the first `/`, must not be empty, and is taken literally (no percent-decoding). Query strings and
/// fragments are rejected because `aws s3 cp` would treat them as part of the key.
public struct S3URL: Sendable, Hashable, CustomStringConvertible {
    /// The bucket name.
    public let bucket: String
    /// The object key (never empty; may contain `/`).
    public let key: String

    /// Parses `text`; throws ``S3FetchError`` of kind `.invalidURL` whose message says what is wrong.
    public init(parsing text: String) throws(S3FetchError) {
        func fail(_ why: String) -> S3FetchError { S3FetchError(.invalidURL, url: text, message: why) }
        guard let schemeEnd = text.range(of: "://") else {
            throw fail("expected s3://bucket/key")
        }
        let scheme = text[..<schemeEnd.lowerBound]
        guard scheme == "s3" else {
            throw fail("scheme \"\(scheme)\" is not supported, only s3://")
        }
        let rest = text[schemeEnd.upperBound...]
        guard !rest.contains("?"), !rest.contains("#") else {
            throw fail("query strings and fragments are not allowed")
        }
        guard let slash = rest.firstIndex(of: "/") else {
            throw fail("missing object key after the bucket name")
        }
        let bucket = String(rest[..<slash])
        let key = String(rest[rest.index(after: slash)...])
        if let problem = Self.bucketProblem(bucket) { throw fail(problem) }
        guard !key.isEmpty else { throw fail("the object key is empty") }
        guard !key.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw fail("the object key contains control characters")
        }
        self.bucket = bucket
        self.key = key
    }

    /// Creates a URL from parts, validating them as ``init(parsing:)`` does.
    public init(bucket: String, key: String) throws(S3FetchError) {
        try self.init(parsing: "s3://\(bucket)/\(key)")
    }

    /// `s3://bucket/key`.
    public var description: String { "s3://\(bucket)/\(key)" }

    /// Why `name` is not a valid bucket name, or `nil` when it is.
    public static func bucketProblem(_ name: String) -> String? {
        if name.isEmpty { return "the bucket name is empty" }
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else {
            return "bucket name \"\(name)\" must be 3 to 63 characters long"
        }
        func isLowerAlnum(_ byte: UInt8) -> Bool {
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
        }
        guard bytes.allSatisfy({ isLowerAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }) else {
            return "bucket name \"\(name)\" may hold only lowercase letters, digits, dots and hyphens"
        }
        guard isLowerAlnum(bytes.first!), isLowerAlnum(bytes.last!) else {
            return "bucket name \"\(name)\" must start and end with a letter or digit"
        }
        if name.contains("..") { return "bucket name \"\(name)\" must not contain \"..\"" }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isNumber) }) {
            return "bucket name \"\(name)\" must not be an IP address"
        }
        return nil
    }
}
