/// The one error S3Fetch throws: what went wrong, for which URL, with the aws CLI's own words.
public struct S3FetchError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public enum Kind: Sendable, Hashable {
        /// The text is not a valid `s3://bucket/key` URL; ``S3FetchError/message`` says why.
        case invalidURL
        /// The aws CLI is not at the configured path or not on `PATH`; ``S3FetchError/message`` names where.
        case cliNotFound
        /// The CLI found no credentials (environment, shared files, instance role).
        case noCredentials
        /// The bucket does not exist.
        case noSuchBucket
        /// The bucket exists but the key does not.
        case noSuchKey
        /// The store refused the request (403, AccessDenied, unknown access key).
        case accessDenied
        /// The CLI ran longer than the fetcher's timeout and was killed with its children.
        case timeout
        /// Any other failure; ``S3FetchError/exitCode`` holds the CLI's exit status.
        case failed
    }

    /// The kind of failure.
    public var kind: Kind
    /// The URL (as given) the fetch or parse was for.
    public var url: String
    /// The detail: the parse problem, the missing path, or the CLI's standard error (trimmed, bounded).
    public var message: String
    /// The CLI's exit status, when it ran to completion (`nil` when killed or never started).
    public var exitCode: Int32?

    /// Creates an error.
    public init(_ kind: Kind, url: String, message: String, exitCode: Int32? = nil) {
        self.kind = kind
        self.url = url
        self.message = message
        self.exitCode = exitCode
    }

    /// One line: what failed, for which URL, and the detail.
    public var description: String {
        let what: String
        switch kind {
        case .invalidURL: what = "invalid S3 URL"
        case .cliNotFound: what = "aws CLI not found"
        case .noCredentials: what = "no AWS credentials"
        case .noSuchBucket: what = "no such bucket"
        case .noSuchKey: what = "no such key"
        case .accessDenied: what = "access denied"
        case .timeout: what = "timed out"
        case .failed: what = "aws CLI failed" + (exitCode.map { " with exit code \($0)" } ?? "")
        }
        return message.isEmpty ? "\(what) for \(url)" : "\(what) for \(url): \(message)"
    }
}
