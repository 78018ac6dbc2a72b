import Foundation

/// A failure of the artifact cache itself: file I/O, a locked directory, a truncated upstream body, a corrupt entry.
///
/// Errors thrown by the caller's `fetch` closure or by the upstream body are passed through unchanged, so a server
/// can still tell an upstream timeout from a cache failure.
public struct ArtifactCacheError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Kind: Sendable, Hashable {
        /// A system call on the cache directory failed (see `message` for the call, path and errno text).
        case io
        /// Another process (or another `ArtifactCache` in this one) holds the cache directory's lock.
        case locked
        /// The upstream body ended with a different byte count than the upstream announced.
        case sizeMismatch
        /// A stored entry does not decode to its recorded size or hash.
        case corruptEntry
        /// The settings are not usable (negative budget, level outside 0...9, ...).
        case invalidSettings
    }

    /// What kind of failure this is.
    public let kind: Kind
    /// What went wrong and where (path, URL).
    public let message: String

    /// Creates an error; `message` should name the path or URL involved.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "artifact cache: \(message)" }

    static func io(_ operation: String, _ path: String, errno code: Int32 = errno) -> ArtifactCacheError {
        ArtifactCacheError(.io, "\(operation) \(path): \(String(cString: strerror(code))) (errno \(code))")
    }
}
