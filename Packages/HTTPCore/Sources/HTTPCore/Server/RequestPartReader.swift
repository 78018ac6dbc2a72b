import NIOCore
import NIOHTTP1

/// Reads request parts off one connection: heads for the connection loop, body chunks for the request body.
///
/// Unchecked `Sendable`: the connection loop and the handler it awaits run one at a time on one task; the
/// handler's body stream is the only other user, and it is documented as valid only inside the handler.
final class RequestPartReader: @unchecked Sendable {
    private var iterator: NIOAsyncChannelInboundStream<HTTPServerRequestPart>.AsyncIterator
    private(set) var bodyFinished = true
    private var pendingHead: HTTPRequestHead?
    /// The decoder refused the request; NIO's protocol error handler has answered 400 and closes the connection,
    /// so the handler's response must not be written.
    private(set) var protocolErrorAnswered = false
    /// Called before the first body chunk is read (to send `100 Continue`).
    var beforeFirstRead: (@Sendable () async throws -> Void)?

    init(_ iterator: NIOAsyncChannelInboundStream<HTTPServerRequestPart>.AsyncIterator) {
        self.iterator = iterator
    }

    /// The next request head, or nil when the peer closed; skips what is left of the previous body.
    func nextHead() async throws -> HTTPRequestHead? {
        while true {
            if let head = pendingHead {
                pendingHead = nil
                bodyFinished = false
                return head
            }
            guard let part = try await iterator.next() else { return nil }
            if case .head(let head) = part {
                bodyFinished = false
                return Self.compact(head)
            }
        }
    }

    /// The current request has no body (no Content-Length, no Transfer-Encoding): nothing to read or drain; its end
    /// part is skipped by `nextHead()`.
    func expectNoBody() {
        bodyFinished = true
    }

    /// The head with its headers in an array of their own size: the decoder's array has room for many headers, and
    /// a long poll holds its head for as long as it waits.
    private static func compact(_ head: HTTPRequestHead) -> HTTPRequestHead {
        HTTPRequestHead(
            version: head.version,
            method: head.method,
            uri: head.uri,
            headers: HTTPHeaders(head.headers.map { ($0.name, $0.value) })
        )
    }

    /// The next chunk of the current body, or nil at its end.
    func nextBodyChunk() async throws -> ByteBuffer? {
        guard !bodyFinished else { return nil }
        if let hook = beforeFirstRead {
            beforeFirstRead = nil
            try await hook()
        }
        while true {
            let next: HTTPServerRequestPart?
            do {
                next = try await iterator.next()
            } catch let error as HTTPParserError {
                // The decoder refused the body (e.g. a chunk size of `zz`): the client's fault, so a 400 for the
                // handler, the metrics and the log alike (the protocol error handler has already answered 400).
                bodyFinished = true
                protocolErrorAnswered = true
                throw HTTPError(
                    .badRequest, error: "malformed_body",
                    detail: "the request body is malformed: \(Self.describe(error))")
            }
            guard let part = next else {
                bodyFinished = true
                throw HTTPError(
                    .badRequest, error: "body_incomplete", detail: "the client closed the connection mid-body")
            }
            switch part {
            case .body(let buffer):
                if buffer.readableBytes > 0 { return buffer }
            case .end:
                bodyFinished = true
                return nil
            case .head(let head):
                // Cannot happen with a well-behaved decoder; keep the head for the loop.
                pendingHead = head
                bodyFinished = true
                return nil
            }
        }
    }

    /// What a decoder error means, in words.
    static func describe(_ error: HTTPParserError) -> String {
        switch error {
        case .invalidChunkSize: return "a chunk size is not a hexadecimal number"
        case .invalidContentLength: return "the Content-Length is not valid"
        case .invalidEOFState: return "the connection ended before the body did"
        default: return "\(error)"
        }
    }

    /// Reads and drops one part, whatever it is; false once the connection has no more.
    func discardPart() async throws -> Bool {
        try await iterator.next() != nil
    }

    /// Reads and drops what is left of the current body, up to `maxBytes`; false if more was left (close then).
    func drainBody(maxBytes: Int) async throws -> Bool {
        guard !bodyFinished else { return true }
        beforeFirstRead = nil  // never invite a body only to throw it away
        var dropped = 0
        while let chunk = try await nextBodyChunk() {
            dropped += chunk.readableBytes
            if dropped > maxBytes { return false }
        }
        return true
    }
}
