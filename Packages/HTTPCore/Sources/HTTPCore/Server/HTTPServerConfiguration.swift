import Logging

extension HTTPServer {
    /// Where and how the server listens, and the limits that protect it.
    public struct Configuration: Sendable {
        /// Certificate and key files (PEM) for TLS.
        public struct TLS: Sendable {
            /// Path of the PEM certificate chain.
            public var certificatePath: String
            /// Path of the PEM private key.
            public var privateKeyPath: String
            /// The oldest protocol version a client may negotiate; TLS 1.0 and 1.1 are never offered.
            public var minimumVersion: MinimumVersion

            /// The oldest TLS version accepted.
            public enum MinimumVersion: String, Sendable, CaseIterable {
                /// TLS 1.2 and 1.3 (the default).
                case tls12 = "1.2"
                /// TLS 1.3 only.
                case tls13 = "1.3"
            }

            /// Creates a TLS configuration from a certificate chain file and a private key file.
            public init(certificatePath: String, privateKeyPath: String, minimumVersion: MinimumVersion = .tls12) {
                self.certificatePath = certificatePath
                self.privateKeyPath = privateKeyPath
                self.minimumVersion = minimumVersion
            }
        }

        /// The address to bind, e.g. `127.0.0.1` or `0.0.0.0`.
        public var host: String
        /// The port; 0 picks a free one (read it from `localAddress` or `onServerRunning`).
        public var port: Int
        /// TLS from certificate and key files; nil serves plain HTTP.
        public var tls: TLS?
        /// The most connections open at once; beyond it the server stops accepting until one closes.
        public var maxConnections: Int
        /// How long a client may take to send a complete request head (from connect or its first byte).
        public var headerReadTimeout: Duration
        /// How long a keep-alive connection may sit with no request.
        public var idleTimeout: Duration
        /// How long a client may take to send a request body, from its head; nil for no limit.
        public var requestTimeout: Duration?
        /// How long a client may take to send a request body before its bytes count, from the head; each
        /// `minimumBodyRate` bytes received extend it by one second (a client that trickles a body is cut, one that
        /// sends a large body steadily is not). nil for no body deadline (`requestTimeout` still bounds the whole).
        public var bodyReadTimeout: Duration?
        /// Bytes per second a request body must average, after `bodyReadTimeout`, to keep its connection.
        public var minimumBodyRate: Int
        /// Told (on an event loop: keep it short) each time a timer closes a connection, for metrics.
        public var onTimeout: (@Sendable (ConnectionTimeout) -> Void)?
        /// The largest request head (request line and headers) accepted; larger answers 431.
        public var maxHeaderSize: Int
        /// The listen backlog.
        public var backlog: Int
        /// After a graceful shutdown begins, how long in-flight requests may take before connections are cut.
        public var shutdownTimeout: Duration
        /// The level of the one-line access log per request; nil for none.
        public var accessLogLevel: Logger.Level?

        /// Creates a configuration; every limit has a default suited to a server holding thousands of long polls.
        public init(
            host: String = "127.0.0.1",
            port: Int = 8080,
            tls: TLS? = nil,
            maxConnections: Int = 16_384,
            headerReadTimeout: Duration = .seconds(10),
            idleTimeout: Duration = .seconds(75),
            requestTimeout: Duration? = .seconds(60),
            bodyReadTimeout: Duration? = .seconds(20),
            minimumBodyRate: Int = 500,
            maxHeaderSize: Int = 16 * 1024,
            backlog: Int = 1024,
            shutdownTimeout: Duration = .seconds(30),
            accessLogLevel: Logger.Level? = .info
        ) {
            self.host = host
            self.port = port
            self.tls = tls
            self.maxConnections = maxConnections
            self.headerReadTimeout = headerReadTimeout
            self.idleTimeout = idleTimeout
            self.requestTimeout = requestTimeout
            self.bodyReadTimeout = bodyReadTimeout
            self.minimumBodyRate = max(0, minimumBodyRate)
            self.onTimeout = nil
            self.maxHeaderSize = maxHeaderSize
            self.backlog = backlog
            self.shutdownTimeout = shutdownTimeout
            self.accessLogLevel = accessLogLevel
        }
    }

    /// Why a timer closed a connection.
    public enum ConnectionTimeout: String, Sendable, CaseIterable {
        /// The request head did not arrive within `headerReadTimeout`.
        case headerRead = "header_read"
        /// The request body came slower than `minimumBodyRate` after `bodyReadTimeout`.
        case bodyTooSlow = "body_too_slow"
        /// The request (head to end of body) took longer than `requestTimeout`.
        case request = "request"
        /// A keep-alive connection sat idle for `idleTimeout`.
        case idle = "idle"
    }
}
