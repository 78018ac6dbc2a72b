import NIOCore

/// A request body: bytes already collected, or a stream read from the connection with back-pressure.
///
/// A streamed body must be consumed inside the handler (not in a task that outlives it); bytes the handler leaves
/// unread are drained (or the connection is closed) before the next request on the connection.
public struct RequestBody: Sendable, AsyncSequence {
    /// The default collection limit for routes: 64 KiB.
    public static let defaultLimit = 64 * 1024

    /// The element of the stream: one chunk as received.
    public typealias Element = ByteBuffer

    enum Storage: Sendable {
        case buffer(ByteBuffer)
        case stream(BodyChunkSource)
    }

    let storage: Storage

    /// An empty body.
    public init() {
        storage = .buffer(ByteBuffer())
    }

    /// A body made of `buffer`.
    public init(buffer: ByteBuffer) {
        storage = .buffer(buffer)
    }

    /// A body made of the UTF-8 bytes of `string`.
    public init(string: String) {
        storage = .buffer(ByteBuffer(string: string))
    }

    /// A streamed body whose chunks come from `next` until it returns nil (used by the test client and adapters).
    public init(next: @escaping @Sendable () async throws -> ByteBuffer?) {
        storage = .stream(BodyChunkSource(next: next))
    }

    init(source: BodyChunkSource) {
        storage = .stream(source)
    }

    /// The stream of a request that has no body (no Content-Length, no Transfer-Encoding): ends at once, shared.
    static let absent = RequestBody(source: BodyChunkSource.absent)

    /// Whether this is `absent` (the router collects it as an empty buffer without reading).
    var isAbsent: Bool {
        if case .stream(let source) = storage { return source === BodyChunkSource.absent }
        return false
    }

    /// The collected bytes, or nil for a streamed body that was not collected.
    public var buffer: ByteBuffer? {
        if case .buffer(let buffer) = storage { return buffer }
        return nil
    }

    /// All the bytes of the body; throws `HTTPError` 413 if there are more than `maxBytes`.
    public func collect(upTo maxBytes: Int) async throws -> ByteBuffer {
        switch storage {
        case .buffer(let buffer):
            guard buffer.readableBytes <= maxBytes else { throw HTTPError.payloadTooLarge(limit: maxBytes) }
            return buffer
        case .stream(let source):
            var collected = ByteBuffer()
            while let chunk = try await source.next() {
                guard collected.readableBytes + chunk.readableBytes <= maxBytes else {
                    throw HTTPError.payloadTooLarge(limit: maxBytes)
                }
                var chunk = chunk
                collected.writeBuffer(&chunk)
            }
            return collected
        }
    }

    /// Iterates the chunks of the body.
    public func makeAsyncIterator() -> AsyncIterator {
        switch storage {
        case .buffer(let buffer): AsyncIterator(pending: buffer.readableBytes > 0 ? buffer : nil, source: nil)
        case .stream(let source): AsyncIterator(pending: nil, source: source)
        }
    }

    /// Yields the chunks of a request body.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var pending: ByteBuffer?
        let source: BodyChunkSource?

        /// The next chunk, or nil at the end of the body.
        public mutating func next() async throws -> ByteBuffer? {
            if let buffer = pending {
                pending = nil
                return buffer
            }
            return try await source?.next()
        }
    }
}

extension HTTPError {
    static func payloadTooLarge(limit: Int) -> HTTPError {
        HTTPError(.payloadTooLarge, error: "payload_too_large", detail: "request body is larger than \(limit) bytes")
    }
}

/// Where a streamed body's chunks come from; a class so that iterators share progress.
final class BodyChunkSource: Sendable {
    /// The source of a request without a body.
    static let absent = BodyChunkSource { nil }

    let nextChunk: @Sendable () async throws -> ByteBuffer?

    init(next: @escaping @Sendable () async throws -> ByteBuffer?) {
        self.nextChunk = next
    }

    func next() async throws -> ByteBuffer? {
        try await nextChunk()
    }
}
