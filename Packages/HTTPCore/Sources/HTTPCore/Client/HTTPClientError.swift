/// A failed client request: which request, and what happened (refused, timeout, TLS, bad status...).
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure; compare with the static members, e.g. `error.kind == .timeout`.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        /// A short name such as `"timeout"`.
        public let name: String

        /// The URL could not be parsed or has no host.
        public static let invalidURL = Kind(name: "invalid URL")
        /// The connection could not be made (refused, unreachable, DNS).
        public static let connectionFailed = Kind(name: "connection failed")
        /// The connect or read timeout, or the request deadline, passed.
        public static let timeout = Kind(name: "timeout")
        /// The TLS handshake failed (untrusted certificate, wrong host name, protocol error).
        public static let tls = Kind(name: "TLS failure")
        /// The server closed the connection or answered something that is not HTTP.
        public static let connectionClosed = Kind(name: "connection closed")
        /// The server answered a status the caller did not accept.
        public static let httpStatus = Kind(name: "unexpected status")
        /// The response body was larger than allowed.
        public static let bodyTooLarge = Kind(name: "body too large")
        /// The request could not be encoded or the response decoded.
        public static let coding = Kind(name: "coding failure")
        /// Reading or writing a local file failed.
        public static let file = Kind(name: "file failure")
        /// Anything else.
        public static let other = Kind(name: "failure")

        /// The name.
        public var description: String { name }
    }

    /// The kind of failure.
    public let kind: Kind
    /// The request method.
    public let method: String
    /// The request URL.
    public let url: String
    /// The status, for `.httpStatus`.
    public let status: Int?
    /// What happened, in words (the underlying error's description, or the start of an error body).
    public let detail: String

    /// Creates an error (HTTPCore creates these; public for tests and adapters).
    public init(kind: Kind, method: String, url: String, status: Int? = nil, detail: String) {
        self.kind = kind
        self.method = method
        self.url = url
        self.status = status
        self.detail = detail
    }

    /// `"GET http://host/x: timeout: read timed out"`.
    public var description: String {
        var text = "\(method) \(url): \(kind)"
        if let status { text += " \(status)" }
        if !detail.isEmpty { text += ": \(detail)" }
        return text
    }
}
