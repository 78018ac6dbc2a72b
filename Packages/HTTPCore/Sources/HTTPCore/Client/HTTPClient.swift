import CZlib
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A small HTTP/1.1 client on SwiftNIO: JSON requests, downloads streamed to a file, timeouts, gzip, custom CA.
///
/// Connections are kept alive and reused per origin (scheme, host, port). No HTTP/2, proxies or cookies: the agent
/// talks HTTP/1.1 to its own server (see docs/decisions.md, "The agent's own HTTP/1.1 client").
///
/// Resources are scoped: use `withHTTPClient { client in ... }`, or call `shutdown()` on a client made with `init`.
///
/// ```swift
/// try await HTTPClient.withHTTPClient(configuration: .init(readTimeout: .seconds(90))) { client in
///     let state = try await client.json(.GET, "http://127.0.0.1:6969/v1/triggers/web?wait=30", as: Trigger.self)
///     let result = try await client.download("http://127.0.0.1:6969/artifact.zip", to: "/tmp/a.zip")
/// }
/// ```
public final class HTTPClient: Sendable {
    /// The configuration given at creation.
    public let configuration: Configuration
    private let logger: Logger
    private let group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    private let pool = ConnectionPool()
    /// The CA certificates of `caFilePath`, read at creation so that a bad file fails there.
    private let trustRoots: [NIOSSLCertificate]?
    /// Made at the first https request: an agent that speaks plain http never loads a trust store.
    private let tlsContext = Mutex<NIOSSLContext?>(nil)

    /// Redirects followed for one request before giving up.
    static let maxRedirects = 5

    /// Creates a client; call `shutdown()` when done (or prefer `withHTTPClient`).
    public init(configuration: Configuration = Configuration(), logger: Logger? = nil) throws {
        self.configuration = configuration
        self.logger = logger ?? Logger(label: "HTTPCore.HTTPClient", factory: { _ in SwiftLogNoOpLogHandler() })
        trustRoots = try configuration.caFilePath.map { try Self.loadCertificates($0) }
    }

    /// Runs `body` with a client and shuts the client down afterwards, whatever happens.
    public static func withHTTPClient<Result>(
        configuration: Configuration = Configuration(),
        logger: Logger? = nil,
        _ body: (HTTPClient) async throws -> Result
    ) async throws -> Result {
        let client = try HTTPClient(configuration: configuration, logger: logger)
        let result: Result
        do {
            result = try await body(client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        return result
    }

    /// Closes the client's connections; the client cannot be used afterwards.
    public func shutdown() async throws {
        await pool.closeAll()
    }

    /// Sends a request and collects the response body (up to `configuration.maxBodySize`).
    ///
    /// - Parameter timeout: a deadline for the whole exchange, on top of the connect and read timeouts.
    public func execute(
        _ method: HTTPMethod = .GET,
        _ url: String,
        headers: HTTPHeaders = [:],
        body: ByteBuffer? = nil,
        timeout: Duration? = nil
    ) async throws -> ClientResponse {
        try await mapErrors(method, url) {
            let limit = configuration.maxBodySize
            let (head, body) = try await perform(method, url, headers: headers, body: body, timeout: timeout) { _ in
                BodyCollector(limit: limit, checksLength: method != .HEAD)
            }
            return ClientResponse(status: head.status, headers: head.headers, body: body ?? ByteBuffer())
        }
    }

    /// Sends `body` encoded as JSON and collects the response.
    public func execute(
        _ method: HTTPMethod,
        _ url: String,
        json body: some Encodable,
        headers: HTTPHeaders = [:],
        timeout: Duration? = nil
    ) async throws -> ClientResponse {
        let buffer: ByteBuffer
        do {
            buffer = try JSONCoding.encode(body)
        } catch {
            throw HTTPClientError(
                kind: .coding, method: method.rawValue, url: url, detail: "cannot encode body: \(error)")
        }
        var headers = headers
        headers.replaceOrAdd(name: "content-type", value: "application/json")
        return try await execute(method, url, headers: headers, body: buffer, timeout: timeout)
    }

    /// Sends a request (with an optional JSON body) and decodes a 2xx JSON response into `Value`.
    ///
    /// A non-2xx status throws `HTTPClientError` of kind `.httpStatus`, with the start of the body as detail.
    public func json<Value: Decodable & Sendable>(
        _ method: HTTPMethod = .GET,
        _ url: String,
        body: (any Encodable & Sendable)? = nil,
        headers: HTTPHeaders = [:],
        timeout: Duration? = nil,
        as type: Value.Type = Value.self
    ) async throws -> JSONResponse<Value> {
        var headers = headers
        if !headers.contains(name: "accept") { headers.add(name: "accept", value: "application/json") }
        let response: ClientResponse
        if let body {
            response = try await execute(method, url, json: body, headers: headers, timeout: timeout)
        } else {
            response = try await execute(method, url, headers: headers, timeout: timeout)
        }
        guard response.isSuccess else {
            throw HTTPClientError(
                kind: .httpStatus,
                method: method.rawValue,
                url: url,
                status: Int(response.status.code),
                detail: String(response.text.prefix(512))
            )
        }
        do {
            let value = try response.decode(Value.self)
            return JSONResponse(status: response.status, headers: response.headers, value: value)
        } catch {
            throw HTTPClientError(
                kind: .coding,
                method: method.rawValue,
                url: url,
                status: Int(response.status.code),
                detail: "cannot decode \(Value.self): \(error)"
            )
        }
    }

    /// Streams a response body into the file at `path` with back-pressure; returns status, headers, bytes written.
    ///
    /// The body goes to `path + ".partial"` first and is renamed over `path` when complete, so `path` never holds a
    /// truncated download. Only 2xx bodies are written unless `writeAnyStatus` is true. `body` is sent with the
    /// request, whatever the method (the original Prostagma protocol's `GET /cache` carries a JSON body).
    /// `observe` sees the bytes written, in order, as they are written (to hash a download in the same pass).
    public func download(
        _ url: String,
        to path: String,
        method: HTTPMethod = .GET,
        headers: HTTPHeaders = [:],
        body: ByteBuffer? = nil,
        writeAnyStatus: Bool = false,
        timeout: Duration? = nil,
        observe: DownloadObserver? = nil
    ) async throws -> DownloadResult {
        try await mapErrors(method, url) {
            var sink: FileSink?
            do {
                let (head, _) = try await perform(method, url, headers: headers, body: body, timeout: timeout) { loop in
                    let next = FileSink(
                        path: path, writeAnyStatus: writeAnyStatus, observe: observe, eventLoop: loop,
                        failure: { HTTPClientError(kind: .file, method: method.rawValue, url: url, detail: $0) })
                    sink = next
                    return next
                }
                guard let sink else { throw ClientFailure.closed }
                try await sink.finish()
                let (written, wroteFile) = try await sink.eventLoop.submit { (sink.bytesWritten, sink.writesFile) }
                    .get()
                return DownloadResult(
                    status: head.status, headers: head.headers, bytesWritten: wroteFile ? written : 0,
                    wroteFile: wroteFile)
            } catch {
                await sink?.abandon()
                throw error
            }
        }
    }

    /// Sends a request, following redirects when configured; answers the final head and the collected body.
    ///
    /// `consumer` makes the consumer of a response on the loop of the connection it arrives on (once per attempt).
    private func perform(
        _ method: HTTPMethod, _ url: String, headers: HTTPHeaders, body: ByteBuffer?, timeout: Duration?,
        consumer: (any EventLoop) -> any ResponseConsumer
    ) async throws -> (HTTPResponseHead, ByteBuffer?) {
        let deadline = timeout.map { NIODeadline.now() + TimeAmount($0) } ?? .distantFuture
        var (method, url, headers, body) = (method, url, requestHeaders(headers), body)
        var target = try Self.parse(url, method: method)
        var redirects = 0
        while true {
            var sent = headers
            if !sent.contains(name: "host") { sent.add(name: "host", value: target.origin.hostHeader) }
            sent.remove(name: "content-length")
            sent.remove(name: "transfer-encoding")
            if let body {
                sent.add(name: "content-length", value: String(body.readableBytes))
            } else if [.POST, .PUT, .PATCH].contains(method) {
                sent.add(name: "content-length", value: "0")
            }
            let request = ClientRequest(method: method, target: target, headers: sent, body: body)
            switch try await send(request, deadline: deadline, consumer: consumer) {
            case .complete(let head, let collected, _):
                return (head, collected)
            case .redirect(let head, let location, _):
                guard redirects < Self.maxRedirects else {
                    throw HTTPClientError(
                        kind: .httpStatus, method: method.rawValue, url: url, status: Int(head.status.code),
                        detail: "stopped after \(Self.maxRedirects) redirects (the last to \(location))")
                }
                redirects += 1
                url = target.resolve(location)
                let next = try Self.parse(url, method: method)
                if next.origin != target.origin { headers.remove(name: "authorization") }
                if [301, 302, 303].contains(head.status.code) && method != .HEAD {
                    method = .GET
                    body = nil
                    headers.remove(name: "content-type")
                }
                target = next
            }
        }
    }

    /// One exchange. A GET or HEAD that failed on a reused connection before any response byte is sent once more, on
    /// a new connection (the server may have closed the idle connection as it was reused). Nothing else is retried:
    /// a POST may have been acted on.
    private func send(
        _ request: ClientRequest, deadline: NIODeadline, consumer: (any EventLoop) -> any ResponseConsumer
    ) async throws -> ExchangeOutcome {
        var retried = false
        while true {
            try Task.checkCancellation()
            let pooled = retried ? nil : pool.take(request.target.origin)
            let connection: ClientConnection
            if let pooled {
                connection = pooled
            } else {
                connection = try await connect(request.target.origin, deadline: deadline)
            }
            do {
                let outcome = try await connection.execute(
                    request, consumer: consumer(connection.channel.eventLoop),
                    followRedirects: configuration.followRedirects, decompress: configuration.decompression,
                    readTimeout: configuration.readTimeout, deadline: deadline)
                if outcome.reusable { pool.put(connection) }
                return outcome
            } catch let error as ExchangeError {
                let idempotent = request.method == .GET || request.method == .HEAD
                if pooled != nil, !retried, idempotent, !error.responseStarted, Self.isConnectionLoss(error.underlying)
                {
                    logger.debug("retrying on a new connection", metadata: ["error": "\(error.underlying)"])
                    retried = true
                    continue
                }
                throw error.underlying
            }
        }
    }

    /// Whether `error` says the connection went away (not a timeout, a cancellation or a local failure).
    private static func isConnectionLoss(_ error: any Error) -> Bool {
        if case .closed = error as? ClientFailure { return true }
        return error is IOError || error is ChannelError
    }

    private func connect(_ origin: RequestTarget.Origin, deadline: NIODeadline) async throws -> ClientConnection {
        let connectDeadline = min(deadline, .now() + TimeAmount(configuration.connectTimeout))
        let connection = try await ClientConnection.connect(
            to: origin, tls: origin.tls ? try makeTLSContext() : nil, deadline: connectDeadline,
            timeout: configuration.connectTimeout, group: group)
        pool.track(connection)
        return connection
    }

    /// The TLS context: the configured CAs (or the system's), certificate and host name verified, TLS 1.2 or later.
    private func makeTLSContext() throws -> NIOSSLContext {
        try tlsContext.withLock { context in
            if let context { return context }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.minimumTLSVersion = .tlsv12
            tls.certificateVerification = .fullVerification
            if let trustRoots { tls.trustRoots = .certificates(trustRoots) }
            let made = try NIOSSLContext(configuration: tls)
            context = made
            return made
        }
    }

    private static func parse(_ url: String, method: HTTPMethod) throws -> RequestTarget {
        do {
            return try RequestTarget(url)
        } catch {
            throw HTTPClientError(kind: .invalidURL, method: method.rawValue, url: url, detail: error.reason)
        }
    }

    /// The configuration's default headers with `headers` over them, and `accept-encoding` when decompressing.
    private func requestHeaders(_ headers: HTTPHeaders) -> HTTPHeaders {
        var merged = configuration.headers
        for (name, value) in headers { merged.replaceOrAdd(name: name, value: value) }
        if configuration.decompression && !merged.contains(name: "accept-encoding") {
            merged.add(name: "accept-encoding", value: "gzip, deflate")
        }
        return merged
    }

    private func mapErrors<T>(_ method: HTTPMethod, _ url: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as HTTPClientError {
            throw error
        } catch {
            throw Self.describe(error, method: method.rawValue, url: url)
        }
    }

    static func describe(_ error: any Error, method: String, url: String) -> HTTPClientError {
        let text = String(describing: error)
        let kind: HTTPClientError.Kind
        var status: Int?
        switch error {
        case let error as HTTPClientError:
            return error
        case let failure as ClientFailure:
            switch failure {
            case .connectTimeout, .readTimeout, .deadlineExceeded: kind = .timeout
            case .closed: kind = .connectionClosed
            case .bodyTooLarge(_, let code):
                kind = .bodyTooLarge
                status = code
            case .badEncoding: kind = .coding
            }
        case is CancellationError:
            return HTTPClientError(kind: .other, method: method, url: url, detail: "the request was cancelled")
        case is NIOSSLError, is NIOSSLExtraError, is BoringSSLError:
            kind = .tls
        case is NIOConnectionError:
            kind = .connectionFailed
        case let error as ChannelError:
            if case .connectTimeout = error { kind = .timeout } else { kind = .connectionClosed }
        case is IOError, is HTTPParserError:
            // A reset, or a response that is not HTTP or breaks off.
            kind = .connectionClosed
        default:
            kind = text.contains("SSL") ? .tls : .other
        }
        return HTTPClientError(kind: kind, method: method, url: url, status: status, detail: text)
    }

    private static func loadCertificates(_ path: String) throws -> [NIOSSLCertificate] {
        do {
            return try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw HTTPClientError(kind: .tls, method: "-", url: path, detail: "cannot read CA file: \(error)")
        }
    }
}
