import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Writes a response onto a connection: head, body (bytes, stream or file) and end.
enum ResponseWriter {
    typealias Outbound = NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>

    /// Writes `response` to the request `head`; returns the status sent, the body bytes sent and whether the
    /// connection may stay open. `sendfile` says whether the connection carries `FileRegion`s (plain TCP: no TLS
    /// handler, which cannot).
    static func write(
        _ response: HTTPResponse,
        for head: HTTPRequestHead,
        keepAlive: Bool,
        outbound: Outbound,
        channel: any Channel,
        sendfile: Bool,
        logger: Logger
    ) async throws -> (HTTPResponseStatus, Int, Bool) {
        // One small function per kind of body: an async function's frame holds every value any of its branches
        // keeps across an await, and a connection's task keeps the deepest frames it ever had (see README).
        switch response.body.storage {
        case .buffer(let buffer):
            let sent = sendWhole(buffer, response: response, for: head, keepAlive: keepAlive, channel: channel)
            // As the async writer would: suspend only while the peer is not reading, so a client that pipelines
            // requests without reading the answers is not answered into an ever longer queue.
            if !channel.isWritable { try await sent.written.get() }
            return (sent.status, sent.bytes, sent.keepAlive)
        case .stream(let length, let produce):
            return try await writeStream(
                length: length, produce, response: response, for: head, keepAlive: keepAlive, outbound: outbound,
                eventLoop: channel.eventLoop, logger: logger)
        case .file(let path, let range):
            return try await writeFile(
                path: path, range: range, response: response, for: head, keepAlive: keepAlive, outbound: outbound,
                channel: channel, sendfile: sendfile, logger: logger)
        case .region(let region):
            return try await writeRegion(
                region, response: response, for: head, keepAlive: keepAlive, outbound: outbound, channel: channel,
                sendfile: sendfile, logger: logger)
        case .afterWait:
            preconditionFailure("the router completes a response that waits before it is written")
        }
    }

    /// Writes an answer held in memory into the channel's pipeline in one hop to its event loop, not through the
    /// async writer: the parts meet the same handlers (encoder, connection guard, NIO's pipeline handler) in the
    /// same order, and the task keeps no frames of the writer's (a waiting long poll's task keeps the deepest frames
    /// it ever had, and writing its answer was the deepest). Writes the async writer was given before were handed to
    /// the event loop before it returned, so they go first.
    @inline(never)
    private static func sendWhole(
        _ buffer: ByteBuffer,
        response: HTTPResponse,
        for head: HTTPRequestHead,
        keepAlive: Bool,
        channel: any Channel
    ) -> (status: HTTPResponseStatus, bytes: Int, keepAlive: Bool, written: EventLoopFuture<Void>) {
        let sendsBody = head.method != .HEAD && !bodyless(response.status) && buffer.readableBytes > 0
        var keepAlive = keepAlive
        let responseHead = fixedLengthHead(response, length: buffer.readableBytes, for: head, keepAlive: &keepAlive)
        let written = channel.eventLoop.makePromise(of: Void.self)
        channel.eventLoop.execute {
            channel.write(HTTPServerResponsePart.head(responseHead), promise: nil)
            if sendsBody { channel.write(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil) }
            channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: written)
        }
        return (response.status, sendsBody ? buffer.readableBytes : 0, keepAlive, written.futureResult)
    }

    @inline(never)
    private static func writeStream(
        length: Int?,
        _ produce: @Sendable (ResponseBodyWriter) async throws -> Void,
        response: HTTPResponse,
        for head: HTTPRequestHead,
        keepAlive: Bool,
        outbound: Outbound,
        eventLoop: any EventLoop,
        logger: Logger
    ) async throws -> (HTTPResponseStatus, Int, Bool) {
        let sendsBody = head.method != .HEAD && !bodyless(response.status)
        var headers = response.headers
        var keepAlive = keepAlive
        if let length { setLength(length, status: response.status, in: &headers) }
        setConnection(keepAlive: &keepAlive, version: head.version, hasLength: length != nil, in: &headers)
        try await outbound.write(
            .head(HTTPResponseHead(version: head.version, status: response.status, headers: headers)))
        guard sendsBody else {
            try await outbound.write(.end(nil))
            return (response.status, 0, keepAlive)
        }
        let counter = ByteCounter()
        do {
            try await produce(
                ResponseBodyWriter { chunk in
                    counter.add(chunk.readableBytes)
                    try await writeChunk(chunk, outbound: outbound, eventLoop: eventLoop)
                }
            )
        } catch {
            // The head is out: the only honest signal left is to cut the connection.
            logger.error("streamed response failed", metadata: ["error": "\(String(reflecting: error))"])
            throw error
        }
        if let length, counter.value != length {
            logger.error(
                "streamed response length mismatch",
                metadata: ["declared": "\(length)", "sent": "\(counter.value)"])
            throw HTTPError(
                .internalServerError, error: "length_mismatch", detail: "declared \(length), sent \(counter.value)")
        }
        try await outbound.write(.end(nil))
        return (response.status, counter.value, keepAlive)
    }

    @inline(never)
    private static func writeFile(
        path: String,
        range: ResponseBody.FileRange,
        response: HTTPResponse,
        for head: HTTPRequestHead,
        keepAlive: Bool,
        outbound: Outbound,
        channel: any Channel,
        sendfile: Bool,
        logger: Logger
    ) async throws -> (HTTPResponseStatus, Int, Bool) {
        let sendsBody = head.method != .HEAD && !bodyless(response.status)
        var keepAlive = keepAlive
        var started = false
        var status = response.status
        do {
            let sent = try await FileBody.send(path: path, range: range, sendBody: sendsBody) {
                length, size, partial in
                var headers = response.headers
                setLength(Int(length), status: response.status, in: &headers)
                if let partial {
                    status = .partialContent
                    headers.replaceOrAdd(
                        name: "content-range",
                        value: "bytes \(partial.lowerBound)-\(partial.upperBound - 1)/\(size)"
                    )
                } else if status == .partialContent {
                    status = .ok  // a Range header that asked for the whole file
                }
                headers.replaceOrAdd(name: "accept-ranges", value: "bytes")
                setConnection(keepAlive: &keepAlive, version: head.version, hasLength: true, in: &headers)
                started = true
                try await outbound.write(
                    .head(HTTPResponseHead(version: head.version, status: status, headers: headers)))
            } body: { chunk in
                try await writeChunk(chunk, outbound: outbound, eventLoop: channel.eventLoop)
            }
            try await outbound.write(.end(nil))
            return (status, Int(sent), keepAlive)
        } catch FileBody.Failure.rangeNotSatisfiable(let size) where !started {
            let error = HTTPError(
                .rangeNotSatisfiable,
                error: "range_not_satisfiable",
                detail: "the file has \(size) bytes",
                headers: ["content-range": "bytes */\(size)"]
            )
            return try await write(
                error.response, for: head, keepAlive: keepAlive, outbound: outbound, channel: channel,
                sendfile: sendfile, logger: logger)
        } catch  where !started {
            logger.debug("file response failed", metadata: ["path": "\(path)", "error": "\(error)"])
            let error = HTTPError(.notFound, error: "not_found", detail: "no such file")
            return try await write(
                error.response, for: head, keepAlive: keepAlive, outbound: outbound, channel: channel,
                sendfile: sendfile, logger: logger)
        }
    }

    /// Writes a region of an open file: with `sendfile` on a plain connection, else in chunks read on the blocking
    /// pool. A file that no longer holds the region is answered 500 before anything is sent.
    @inline(never)
    private static func writeRegion(
        _ region: OpenFileRegion,
        response: HTTPResponse,
        for head: HTTPRequestHead,
        keepAlive: Bool,
        outbound: Outbound,
        channel: any Channel,
        sendfile: Bool,
        logger: Logger
    ) async throws -> (HTTPResponseStatus, Int, Bool) {
        let sendsBody = head.method != .HEAD && !bodyless(response.status) && region.length > 0
        var keepAlive = keepAlive
        let responseHead = fixedLengthHead(response, length: Int(region.length), for: head, keepAlive: &keepAlive)
        guard sendsBody else {
            try await outbound.write(.head(responseHead))
            try await outbound.write(.end(nil))
            return (response.status, 0, keepAlive)
        }
        let handle: NIOFileHandle
        do {
            handle = try region.duplicate()
        } catch {
            logger.error("file region response failed", metadata: ["error": "\(error)"])
            let failure = HTTPError(.internalServerError, error: "internal", detail: "the file to send is unreadable")
            return try await write(
                failure.response, for: head, keepAlive: keepAlive, outbound: outbound, channel: channel,
                sendfile: sendfile, logger: logger)
        }
        if sendfile {
            try await sendRegion(handle, region.wanted, head: responseHead, channel: channel).get()
        } else {
            defer { try? handle.close() }
            try await outbound.write(.head(responseHead))
            do {
                try await region.readChunks(from: handle) { chunk in
                    try await writeChunk(chunk, outbound: outbound, eventLoop: channel.eventLoop)
                }
            } catch let shorter as OpenFileRegion.Shorter {
                // The head is out: cutting the connection is the only honest signal left.
                logger.error("file region response ended early", metadata: ["error": "\(shorter)"])
                throw shorter
            }
            try await outbound.write(.end(nil))
        }
        withExtendedLifetime(region) {}
        return (response.status, Int(region.length), keepAlive)
    }

    /// Writes the head and the region in one hop to the event loop (as ``sendWhole`` does; earlier writes of the
    /// async writer were handed to the loop before it returned, so they go first), then the end once the kernel has
    /// taken the last byte: the connection's idle timer starts at the end, so it must not run while a slow client
    /// still reads a large file. The handle is closed when the region's write completes or fails.
    private static func sendRegion(
        _ handle: NIOFileHandle, _ wanted: Range<Int64>, head: HTTPResponseHead, channel: any Channel
    ) -> EventLoopFuture<Void> {
        let done = channel.eventLoop.makePromise(of: Void.self)
        let region = FileRegion(
            fileHandle: handle, readerIndex: Int(wanted.lowerBound), endIndex: Int(wanted.upperBound))
        channel.eventLoop.execute {
            channel.write(HTTPServerResponsePart.head(head), promise: nil)
            let sent = channel.eventLoop.makePromise(of: Void.self)
            channel.writeAndFlush(HTTPServerResponsePart.body(.fileRegion(region)), promise: sent)
            sent.futureResult.whenComplete { result in
                try? handle.close()
                switch result {
                case .success: channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: done)
                case .failure(let error): done.fail(error)
                }
            }
        }
        return done.futureResult
    }

    /// Writes one chunk of a body through the async writer, then lets the event loop catch up (``settle(_:)``).
    private static func writeChunk(_ chunk: ByteBuffer, outbound: Outbound, eventLoop: any EventLoop) async throws {
        try await outbound.write(.body(.byteBuffer(chunk)))
        try await settle(eventLoop)
    }

    /// Waits until the event loop has handed the chunks written so far to the socket.
    ///
    /// The async writer only suspends once the channel reports itself unwritable, which happens on the event loop;
    /// a fast producer could otherwise queue its whole body before the loop gets a say. After this hop the
    /// writability is current, so the next write suspends if the peer is slow.
    private static func settle(_ eventLoop: any EventLoop) async throws {
        try await eventLoop.submit {}.get()
    }

    /// The head of `response` with a body of `length` bytes: `Content-Length` and `Connection` as the writer sets
    /// them; `keepAlive` becomes false when the answer closes the connection.
    private static func fixedLengthHead(
        _ response: HTTPResponse, length: Int, for head: HTTPRequestHead, keepAlive: inout Bool
    ) -> HTTPResponseHead {
        var headers = response.headers
        setLength(length, status: response.status, in: &headers)
        setConnection(keepAlive: &keepAlive, version: head.version, hasLength: true, in: &headers)
        return HTTPResponseHead(version: head.version, status: response.status, headers: headers)
    }

    static func bodyless(_ status: HTTPResponseStatus) -> Bool {
        status.code < 200 || status == .noContent || status == .notModified
    }

    static func setLength(_ length: Int, status: HTTPResponseStatus, in headers: inout HTTPHeaders) {
        guard status.code >= 200, status != .noContent else {
            headers.remove(name: "content-length")
            return
        }
        headers.replaceOrAdd(name: "content-length", value: String(length))
        headers.remove(name: "transfer-encoding")
    }

    static func setConnection(
        keepAlive: inout Bool,
        version: HTTPVersion,
        hasLength: Bool,
        in headers: inout HTTPHeaders
    ) {
        if headers[canonicalForm: "connection"].contains(where: { $0.lowercased() == "close" }) { keepAlive = false }
        // HTTP/1.0 has no chunked encoding: without a length the end of the body is the end of the connection.
        if version.major == 1 && version.minor == 0 && !hasLength { keepAlive = false }
        headers.remove(name: "connection")
        if !keepAlive {
            headers.add(name: "connection", value: "close")
        } else if version.major == 1 && version.minor == 0 {
            headers.add(name: "connection", value: "keep-alive")
        }
    }
}

/// Counts bytes sent by a streamed body (the writer closure is `@Sendable`, so the count is atomic).
final class ByteCounter: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .relaxed) }
    func add(_ bytes: Int) { count.add(bytes, ordering: .relaxed) }
}
