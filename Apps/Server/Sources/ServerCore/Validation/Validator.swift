import Foundation
import ProstagmaProtocol

/// Checks trigger names and download URLs (names by ``TriggerName``; URLs http, https, s3,
/// optionally restricted to allow-listed prefixes).
public struct Validator: Sendable {
    /// Allowed URL prefixes; empty means every http/https/s3 URL is allowed.
    public var allowedURLPrefixes: [String]
    /// Longest URL accepted.
    public static let maximumURLLength = 4096

    /// Creates a validator with an optional allow-list of URL prefixes.
    public init(allowedURLPrefixes: [String] = []) {
        self.allowedURLPrefixes = allowedURLPrefixes
    }

    /// Throws 422 unless `name` follows the trigger name rule (``TriggerName``).
    public static func checkTriggerName(_ name: String) throws(ServerError) {
        do throws(ProtocolError) {
            try TriggerName.validate(name)
        } catch {
            throw ServerError(error)
        }
    }

    /// The kind of source a URL is fetched from.
    public enum Source: String, Sendable {
        /// `http://` or `https://`, through the HTTP client.
        case http
        /// `s3://bucket/key`, through the aws CLI.
        case s3
    }

    /// Checks a download URL; returns whether it is fetched over HTTP or from S3. Throws 422.
    public func checkURL(_ text: String) throws(ServerError) -> Source {
        if text.isEmpty { throw .invalidURL("the url is empty") }
        if text.utf8.count > Self.maximumURLLength {
            throw .invalidURL("the url is \(text.utf8.count) bytes long; the limit is \(Self.maximumURLLength)")
        }
        if text.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F }) {
            throw .invalidURL("the url contains spaces or control characters; percent-encode them")
        }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased() else {
            throw .invalidURL("'\(text)' is not a URL")
        }
        let source: Source
        switch scheme {
        case "http", "https": source = .http
        case "s3": source = .s3
        default:
            throw .invalidURL("scheme '\(scheme)' is not allowed; use http, https or s3")
        }
        guard let host = url.host, !host.isEmpty else {
            throw .invalidURL(source == .s3 ? "'\(text)' names no bucket (s3://bucket/key)" : "'\(text)' has no host")
        }
        if source == .s3 {
            let key = url.path.drop(while: { $0 == "/" })
            if key.isEmpty || text.hasSuffix("/") {
                throw .invalidURL("'\(text)' names no object key (s3://bucket/key)")
            }
        }
        // A ".." segment could walk out of an allow-listed prefix on the upstream server.
        let segments = url.path.split(separator: "/", omittingEmptySubsequences: false)
        if segments.contains(where: { $0 == ".." || $0 == "." }) || text.lowercased().contains("%2e%2e") {
            throw .invalidURL("'\(text)' contains a '.' or '..' path segment")
        }
        if !allowedURLPrefixes.isEmpty, !allowedURLPrefixes.contains(where: { Self.url(text, hasPrefix: $0) }) {
            throw .invalidURL("'\(text)' is not under any prefix of PROSTAGMA_ALLOWED_URLS")
        }
        return source
    }

    /// Prefix matching that respects boundaries: `https://a.com` allows `https://a.com/x` but not
    /// `https://a.com.evil.org/`; `https://a.com/app` does not allow `https://a.com/apple`.
    static func url(_ url: String, hasPrefix prefix: String) -> Bool {
        guard !prefix.isEmpty, url.hasPrefix(prefix) else { return false }
        if prefix.hasSuffix("/") || url.utf8.count == prefix.utf8.count { return true }
        let next = url.utf8[url.utf8.index(url.utf8.startIndex, offsetBy: prefix.utf8.count)]
        return next == UInt8(ascii: "/") || next == UInt8(ascii: "?") || next == UInt8(ascii: "#")
    }
}
