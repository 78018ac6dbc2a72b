import Digest
import HTTPCore
import Synchronization

/// `HTTPTransport` over HTTPCore's own HTTP/1.1 client.
public final class ClientTransport: HTTPTransport {
    let client: HTTPClient

    /// A transport trusting the CAs of `caFile` (PEM) instead of the system's when given.
    ///
    /// `readTimeout` bounds the silence between bytes of a response: it must exceed the longest wait a
    /// request asks of the server (long polls wait 30 s; `trigger --wait` up to an hour).
    public init(caFile: String?, readTimeout: Duration = .seconds(120)) throws {
        let configuration = HTTPClient.Configuration(
            connectTimeout: .seconds(10), readTimeout: readTimeout, caFilePath: caFile,
            headers: ["User-Agent": "prostagma-agent/\(prostagmaVersion)"], decompression: true,
            followRedirects: false)
        client = try HTTPClient(configuration: configuration)
    }

    /// Closes the connections.
    public func shutdown() async throws { try await client.shutdown() }

    /// See `HTTPTransport.send`.
    public func send(
        method: String, url: String, headers: [(String, String)], body: [UInt8]?, timeout: Duration
    ) async throws -> TransportResponse {
        var h = HTTPHeaders()
        for (name, value) in headers { h.add(name: name, value: value) }
        let buffer = body.map { ByteBuffer(bytes: $0) }
        let response = try await client.execute(
            HTTPMethod(rawValue: method), url, headers: h, body: buffer, timeout: timeout)
        return TransportResponse(
            status: Int(response.status.code), headers: Self.headers(response.headers),
            body: Array(response.body.readableBytesView))
    }

    /// See `HTTPTransport.download`.
    public func download(
        method: String, url: String, headers: [(String, String)], body: [UInt8]?, to path: String,
        timeout: Duration
    ) async throws -> (response: TransportResponse, written: Int64, sha256: String) {
        var h = HTTPHeaders()
        for (name, value) in headers { h.add(name: name, value: value) }
        // One pass: each batch is hashed on the thread that has just written it, so the file is never read back.
        let hasher = Mutex(SHA256())
        let result = try await client.download(
            url, to: path, method: HTTPMethod(rawValue: method), headers: h, body: body.map { ByteBuffer(bytes: $0) },
            timeout: timeout, observe: { bytes in hasher.withLock { $0.update(bytes) } })
        return (
            TransportResponse(status: Int(result.status.code), headers: Self.headers(result.headers), body: []),
            result.bytesWritten, SHA256.hex(hasher.withLock { $0.finalize() })
        )
    }

    static func headers(_ headers: HTTPHeaders) -> [String: String] {
        var out: [String: String] = [:]
        for (name, value) in headers { out[name.lowercased()] = value }
        return out
    }
}
