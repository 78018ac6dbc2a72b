import NIOCore
import NIOPosix

/// The body of a response: bytes, a stream written with back-pressure, (part of) a file, or a region of a file
/// already open.
public struct ResponseBody: Sendable {
    enum Storage: Sendable {
        case buffer(ByteBuffer)
        case stream(length: Int?, @Sendable (ResponseBodyWriter) async throws -> Void)
        case file(path: String, range: FileRange)
        case region(OpenFileRegion)
        /// Not a body: the router waits, then the response is what the wait's answer makes
        /// (``HTTPResponse/afterWait(for:since:until:then:)``).
        case afterWait(PendingAnswer)
    }

    /// Which part of a file to send.
    enum FileRange: Sendable {
        case whole
        case fixed(Range<Int64>)
        /// Resolved from a `Range` request header once the file size is known.
        case header(String)
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

    /// A body made of `bytes`.
    public init(bytes: some Sequence<UInt8>) {
        storage = .buffer(ByteBuffer(bytes: bytes))
    }

    /// A body produced by `write`; `length`, when known, becomes `Content-Length`, else the body is chunked.
    public static func stream(
        length: Int? = nil,
        _ write: @escaping @Sendable (ResponseBodyWriter) async throws -> Void
    ) -> ResponseBody {
        ResponseBody(storage: .stream(length: length, write))
    }

    /// A body that sends the chunks of `sequence` as they come, with back-pressure.
    public static func stream<S: AsyncSequence & Sendable>(
        _ sequence: S,
        length: Int? = nil
    ) -> ResponseBody where S.Element == ByteBuffer {
        ResponseBody(
            storage: .stream(length: length) { writer in
                for try await chunk in sequence { try await writer.write(chunk) }
            }
        )
    }

    /// A body that serves the file at `path`, or the byte `range` of it.
    public static func file(path: String, range: Range<Int64>? = nil) -> ResponseBody {
        ResponseBody(storage: .file(path: path, range: range.map { .fixed($0) } ?? .whole))
    }

    /// A body that serves the file at `path`, honouring a `Range: bytes=...` header value (206, or 416 when past
    /// the end; a malformed or multi-range value serves the whole file).
    public static func file(path: String, rangeHeader: String?) -> ResponseBody {
        ResponseBody(storage: .file(path: path, range: rangeHeader.map { .header($0) } ?? .whole))
    }

    /// `length` bytes of the open file `descriptor`, from `offset`.
    ///
    /// On a plain connection the server sends them with `sendfile` (the kernel copies from the page cache to the
    /// socket; nothing passes through the process); behind TLS, and in ``collect(upTo:)``, it reads them in chunks
    /// on NIO's blocking pool. The descriptor is borrowed: `owner` is kept with the body until it is sent, and is
    /// what must keep the descriptor open (e.g. the object that closes it when released). The server sends from a
    /// duplicate of the descriptor, checks that the file still has the bytes before the head goes out (else it
    /// answers 500), and never moves the descriptor's file position.
    public static func region(
        of descriptor: CInt, offset: Int64 = 0, length: Int64, keepingAlive owner: (any Sendable)? = nil
    ) -> ResponseBody {
        precondition(offset >= 0 && length >= 0, "a file region needs a non-negative offset and length")
        return ResponseBody(
            storage: .region(OpenFileRegion(descriptor: descriptor, offset: offset, length: length, owner: owner)))
    }

    init(storage: Storage) {
        self.storage = storage
    }

    /// The length when it is known without running the body (bytes, or a stream with a given length).
    public var knownLength: Int? {
        switch storage {
        case .buffer(let buffer): buffer.readableBytes
        case .stream(let length, _): length
        case .region(let region): Int(region.length)
        case .file, .afterWait: nil
        }
    }

    /// Runs the body and gathers all its bytes (the test client uses this); throws past `maxBytes`.
    public func collect(upTo maxBytes: Int = .max) async throws -> ByteBuffer {
        switch storage {
        case .buffer(let buffer):
            return buffer
        case .stream(_, let write):
            let collector = ByteCollector()
            try await write(ResponseBodyWriter { chunk in try collector.append(chunk, limit: maxBytes) })
            return collector.buffer
        case .file(let path, let range):
            let collector = ByteCollector()
            _ = try await FileBody.send(path: path, range: range) { _, _, _ in
            } body: { chunk in
                try collector.append(chunk, limit: maxBytes)
            }
            return collector.buffer
        case .region(let region):
            let collector = ByteCollector()
            try await region.readChunks { chunk in try collector.append(chunk, limit: maxBytes) }
            return collector.buffer
        case .afterWait:
            // The router completes such a response before anyone reads its body.
            return ByteBuffer()
        }
    }
}

/// A long poll's answer to come: what it waits for, and what makes the response once the wait ends.
final class PendingAnswer: Sendable {
    /// How the response is made once the wait ends.
    enum Answer: Sendable {
        /// On the connection's task (``HTTPResponse/afterWait(for:since:until:then:)``).
        case async(@Sendable (WakeReason) async throws -> HTTPResponse)
        /// Without suspending, where it can (on the connection's event loop, when the request was answered there);
        /// `later` answers on a task when `now` returns nil
        /// (``HTTPResponse/afterWait(for:since:until:immediately:otherwise:)``).
        case immediate(
            now: @Sendable (WakeReason) throws -> HTTPResponse?,
            later: @Sendable () async throws -> HTTPResponse)
    }

    let notifier: Notifier
    let since: Notifier.Generation
    let deadline: ContinuousClock.Instant
    let kind: Answer

    init(notifier: Notifier, since: Notifier.Generation, deadline: ContinuousClock.Instant, kind: Answer) {
        self.notifier = notifier
        self.since = since
        self.deadline = deadline
        self.kind = kind
    }

    /// The response once the wait ended with `reason`, made on a task.
    func answer(_ reason: WakeReason) async throws -> HTTPResponse {
        switch kind {
        case .async(let answer):
            return try await answer(reason)
        case .immediate(let now, let later):
            if let response = try now(reason) { return response }
            return try await later()
        }
    }
}

/// Writes the chunks of a streamed response body; `write` suspends while the peer is not reading.
public struct ResponseBodyWriter: Sendable {
    let writeChunk: @Sendable (ByteBuffer) async throws -> Void

    /// Creates a writer that hands each chunk to `write` (for adapters and tests).
    public init(_ write: @escaping @Sendable (ByteBuffer) async throws -> Void) {
        self.writeChunk = write
    }

    /// Sends `buffer` as the next chunk of the body.
    public func write(_ buffer: ByteBuffer) async throws {
        guard buffer.readableBytes > 0 else { return }
        try await writeChunk(buffer)
    }

    /// Sends the UTF-8 bytes of `string` as the next chunk of the body.
    public func write(_ string: String) async throws {
        try await write(ByteBuffer(string: string))
    }
}
