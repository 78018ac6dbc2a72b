import NIOCore
import NIOHTTP1

/// A response received by `HTTPClient`, with its body collected.
public struct ClientResponse: Sendable {
    /// The status.
    public var status: HTTPResponseStatus
    /// The headers.
    public var headers: HTTPHeaders
    /// The body (decompressed when the server sent gzip).
    public var body: ByteBuffer

    /// Creates a response value.
    public init(status: HTTPResponseStatus, headers: HTTPHeaders, body: ByteBuffer) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Whether the status is 2xx.
    public var isSuccess: Bool { (200..<300).contains(status.code) }

    /// The body as UTF-8 text.
    public var text: String { String(buffer: body) }

    /// Decodes the body as JSON.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSONCoding.decode(type, from: body)
    }
}

/// A decoded JSON response: status, headers and the value.
public struct JSONResponse<Value: Sendable>: Sendable {
    /// The status (2xx).
    public var status: HTTPResponseStatus
    /// The headers.
    public var headers: HTTPHeaders
    /// The decoded body.
    public var value: Value
}

/// The outcome of `HTTPClient.download`: status, headers and how many bytes went to the file.
public struct DownloadResult: Sendable {
    /// The status.
    public var status: HTTPResponseStatus
    /// The headers.
    public var headers: HTTPHeaders
    /// The bytes written to the file (0 when the body was not written).
    public var bytesWritten: Int64
    /// Whether the file was written (2xx, or any status with `writeAnyStatus`).
    public var wroteFile: Bool
}
