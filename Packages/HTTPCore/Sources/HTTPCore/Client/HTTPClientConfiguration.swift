import NIOHTTP1

extension HTTPClient {
    /// Timeouts, trust and default headers for a client.
    public struct Configuration: Sendable {
        /// How long to wait for a connection (and TLS handshake).
        public var connectTimeout: Duration
        /// How long to wait for the next bytes of a response; set above the longest long-poll wait.
        public var readTimeout: Duration
        /// A PEM file of CA certificates to trust instead of the system's; nil uses the system roots.
        public var caFilePath: String?
        /// Headers sent with every request (e.g. `Authorization: Bearer ...`, `User-Agent`).
        public var headers: HTTPHeaders
        /// Ask for gzip (`Accept-Encoding: gzip`) and decode gzip/deflate responses transparently.
        public var decompression: Bool
        /// Follow redirects (at most 5).
        public var followRedirects: Bool
        /// The largest response body collected in memory (downloads to a file are not limited).
        public var maxBodySize: Int

        /// Creates a configuration.
        public init(
            connectTimeout: Duration = .seconds(10),
            readTimeout: Duration = .seconds(90),
            caFilePath: String? = nil,
            headers: HTTPHeaders = [:],
            decompression: Bool = true,
            followRedirects: Bool = true,
            maxBodySize: Int = 32 * 1024 * 1024
        ) {
            self.connectTimeout = connectTimeout
            self.readTimeout = readTimeout
            self.caFilePath = caFilePath
            self.headers = headers
            self.decompression = decompression
            self.followRedirects = followRedirects
            self.maxBodySize = maxBodySize
        }

        /// Adds `Authorization: Bearer <token>` to the default headers.
        public mutating func setBearerToken(_ token: String) {
            headers.replaceOrAdd(name: "authorization", value: "Bearer \(token)")
        }
    }
}
