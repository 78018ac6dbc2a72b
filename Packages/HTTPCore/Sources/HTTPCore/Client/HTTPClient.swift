import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// An HTTP client on AsyncHTTPClient: JSON requests, downloads streamed to a file, timeouts, gzip, custom CA.
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
    private let client: AsyncHTTPClient.HTTPClient
    private let logger: Logger

    /// Creates a client; call `shutdown()` when done (or prefer `withHTTPClient`).
    public init(configuration: Configuration = Configuration(), logger: Logger? = nil) throws {
        self.configuration = configuration
        self.logger = logger ?? Logger(label: "HTTPCore.HTTPClient", factory: { _ in SwiftLogNoOpLogHandler() })
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFilePath = configuration.caFilePath {
            tls.trustRoots = .certificates(try Self.loadCertificates(caFilePath))
        }
        let ahc = AsyncHTTPClient.HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: configuration.followRedirects
                ? .follow(max: 5, allowCycles: false) : .disallow,
            timeout: .init(
                connect: TimeAmount(configuration.connectTimeout),
                read: TimeAmount(configuration.readTimeout)
            ),
            decompression: configuration.decompression ? .enabled(limit: .none) : .disabled
        )
        client = AsyncHTTPClient.HTTPClient(
            eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton),
            configuration: ahc,
            backgroundActivityLogger: self.logger
        )
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
        try await client.shutdown()
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
        let request = makeRequest(method, url, headers: headers, body: body)
        return try await mapErrors(method, url) {
            let response = try await client.execute(request, deadline: deadline(timeout), logger: logger)
            let limit = configuration.maxBodySize
            do {
                let body = try await response.body.collect(upTo: limit)
                return ClientResponse(status: response.status, headers: response.headers, body: body)
            } catch is NIOTooManyBytesError {
                throw HTTPClientError(
                    kind: .bodyTooLarge,
                    method: method.rawValue,
                    url: url,
                    status: Int(response.status.code),
                    detail: "response body is larger than \(limit) bytes"
                )
            }
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
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        let sink = FileSink(
            path: path, writeAnyStatus: writeAnyStatus, observe: observe, eventLoop: loop,
            failure: { HTTPClientError(kind: .file, method: method.rawValue, url: url, detail: $0) })
        return try await mapErrors(method, url) {
            // The delegate API, not the async body sequence: body parts reach the sink on the event loop as they
            // are read (the sequence resumes a task for every part, at most 64 KiB each).
            let request = try AsyncHTTPClient.HTTPClient.Request(
                url: url, method: method, headers: requestHeaders(headers), body: body.map { .byteBuffer($0) })
            let task = client.execute(
                request: request, delegate: sink, eventLoop: .delegate(on: loop), deadline: deadline(timeout),
                logger: logger)
            let head: HTTPResponseHead
            do {
                head = try await withTaskCancellationHandler {
                    try await task.futureResult.get()
                } onCancel: {
                    task.cancel()
                }
                if try await loop.submit({ sink.writesFile }).get() { try await sink.finish() }
            } catch {
                await sink.abandon()
                throw error
            }
            let (written, wroteFile) = try await loop.submit { (sink.bytesWritten, sink.writesFile) }.get()
            return DownloadResult(
                status: head.status, headers: head.headers, bytesWritten: wroteFile ? written : 0, wroteFile: wroteFile)
        }
    }

    private func makeRequest(_ method: HTTPMethod, _ url: String, headers: HTTPHeaders, body: ByteBuffer?)
        -> HTTPClientRequest
    {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers = requestHeaders(headers)
        if let body { request.body = .bytes(body) }
        return request
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

    private func deadline(_ timeout: Duration?) -> NIODeadline {
        guard let timeout else { return .distantFuture }
        return .now() + TimeAmount(timeout)
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
        if let error = error as? AsyncHTTPClient.HTTPClientError {
            let timeouts: [AsyncHTTPClient.HTTPClientError] = [
                .connectTimeout, .readTimeout, .writeTimeout, .deadlineExceeded, .tlsHandshakeTimeout,
            ]
            if [.invalidURL, .emptyHost, .emptyScheme].contains(error) || text.contains("unsupportedScheme") {
                kind = .invalidURL
            } else if timeouts.contains(error) {
                kind = .timeout
            } else if error == .remoteConnectionClosed || error == .uncleanShutdown {
                kind = .connectionClosed
            } else {
                kind = .other
            }
        } else if error is NIOSSLError || error is BoringSSLError || text.contains("SSL") {
            kind = .tls
        } else if error is NIOConnectionError || error is IOError || text.contains("connect")
            || text.contains("refused")
        {
            kind = .connectionFailed
        } else if error is ChannelError {
            kind = text.contains("Timeout") ? .timeout : .connectionClosed
        } else {
            kind = .other
        }
        return HTTPClientError(kind: kind, method: method, url: url, detail: text)
    }

    private static func loadCertificates(_ path: String) throws -> [NIOSSLCertificate] {
        do {
            return try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw HTTPClientError(kind: .tls, method: "-", url: path, detail: "cannot read CA file: \(error)")
        }
    }
}
