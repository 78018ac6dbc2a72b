/// A response as the agent needs it: status, headers (names lowercased), body.
public struct TransportResponse: Sendable {
    /// The HTTP status code.
    public var status: Int
    /// The headers, names lowercased.
    public var headers: [String: String]
    /// The body (empty for downloads written to a file).
    public var body: [UInt8]

    /// Makes a response.
    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// The HTTP client the agent talks to the server with (HTTPCore's in production, a fake in tests).
public protocol HTTPTransport: Sendable {
    /// Sends a request and collects the response body (bounded by the implementation).
    func send(
        method: String, url: String, headers: [(String, String)], body: [UInt8]?, timeout: Duration
    ) async throws -> TransportResponse

    /// Sends a request (a GET; the original protocol's `GET /cache` carries `body`) and, when the status is 200,
    /// streams the response body into a new file at `path`; other statuses collect the body (an error message)
    /// and write nothing. Returns the bytes written in `written`, and their SHA-256 (lowercase hex) in `sha256`,
    /// hashed as they were written.
    func download(
        method: String, url: String, headers: [(String, String)], body: [UInt8]?, to path: String,
        timeout: Duration
    ) async throws -> (response: TransportResponse, written: Int64, sha256: String)
}

extension HTTPTransport {
    /// A GET without a body, streamed into a new file at `path` (see the requirement).
    public func download(url: String, headers: [(String, String)], to path: String, timeout: Duration) async throws
        -> (response: TransportResponse, written: Int64, sha256: String)
    {
        try await download(method: "GET", url: url, headers: headers, body: nil, to: path, timeout: timeout)
    }
}
