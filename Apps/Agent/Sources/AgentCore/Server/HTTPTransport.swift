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

    /// Sends a GET and, when the status is 200, streams the body into a new file at `path`; other
    /// statuses collect the body (an error message) and write nothing. Returns the bytes written in
    /// `written`.
    func download(url: String, headers: [(String, String)], to path: String, timeout: Duration) async throws -> (
        response: TransportResponse, written: Int64
    )
}
