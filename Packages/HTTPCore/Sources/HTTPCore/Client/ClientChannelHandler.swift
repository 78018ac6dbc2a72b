import CZlib
import NIOCore
import NIOHTTP1
import NIOSSL
import NIOTLS

/// Receives a response on the connection's event loop: every call is made on that loop.
protocol ResponseConsumer: AnyObject, Sendable {
    /// The final response's head (not a 1xx, not a redirect being followed). Throwing fails the request.
    func head(_ head: HTTPResponseHead) throws
    /// Body bytes, decoded when the response was compressed and decompression is on.
    ///
    /// A returned future holds further reads from the socket until it completes (back-pressure); parts of a read
    /// already made may still arrive before it does. A failed future fails the request.
    func body(_ bytes: ByteBuffer) throws -> EventLoopFuture<Void>?
    /// The response is complete; returns the collected body, if the consumer collects one.
    func end() throws -> ByteBuffer?
}

/// A request as written on a connection.
struct ClientRequest: Sendable {
    var method: HTTPMethod
    var target: RequestTarget
    var headers: HTTPHeaders
    var body: ByteBuffer?
}

/// How one exchange on a connection ended.
enum ExchangeOutcome: Sendable {
    /// The final response; `body` is what the consumer collected.
    case complete(HTTPResponseHead, body: ByteBuffer?, reusable: Bool)
    /// A redirect to follow (its body was dropped).
    case redirect(HTTPResponseHead, location: String, reusable: Bool)

    var reusable: Bool {
        switch self {
        case .complete(_, _, let reusable), .redirect(_, _, let reusable): return reusable
        }
    }
}

/// What the client itself detects, mapped to `HTTPClientError` kinds by `HTTPClient.describe`.
enum ClientFailure: Error, CustomStringConvertible {
    case connectTimeout(Duration)
    case readTimeout(Duration)
    case deadlineExceeded
    /// The server closed the connection before the response was complete.
    case closed
    case bodyTooLarge(limit: Int, status: Int)
    case badEncoding(String)

    var description: String {
        switch self {
        case .connectTimeout(let timeout): return "no connection (and TLS handshake) within \(timeout)"
        case .readTimeout(let timeout): return "no response bytes for \(timeout) (read timeout)"
        case .deadlineExceeded: return "the request's deadline passed"
        case .closed: return "the server closed the connection before the response was complete"
        case .bodyTooLarge(let limit, _): return "response body is larger than \(limit) bytes"
        case .badEncoding(let reason): return "cannot decode the response body: \(reason)"
        }
    }
}

/// An exchange's failure, and whether any of its response had arrived (a request is retried only if not).
struct ExchangeError: Error {
    var underlying: any Error
    var responseStarted: Bool
}

/// The last handler of a client connection: writes one request at a time and hands its response to a consumer.
///
/// Owns the connection's per-exchange state, touched on the channel's event loop only: the read timeout (silence
/// between reads, re-armed by each read), the exchange's deadline, back-pressure (reads held while a consumer's
/// future is pending), gzip/deflate decoding and redirect detection. Any failure closes the connection.
final class ClientChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    /// The request in flight and what is known of its response.
    private struct Exchange {
        let consumer: any ResponseConsumer
        let promise: EventLoopPromise<ExchangeOutcome>
        let method: HTTPMethod
        let followRedirects: Bool
        let decompress: Bool
        let readTimeout: TimeAmount
        var head: HTTPResponseHead?
        var redirect: String?
        var inflate: InflateStream?
        var responseStarted = false
    }

    /// Completed by the TLS handshake (https only).
    private let handshake: EventLoopPromise<Void>?
    private var context: ChannelHandlerContext?
    private var exchange: Exchange?
    /// Counts exchanges, so that a late callback of an earlier one changes nothing.
    private var generation = 0
    /// Consumer futures not yet completed; reads are held while above 0.
    private var pending = 0
    private var readHeld = false
    private var lastRead = NIODeadline.now()
    private var readCheck: Scheduled<Void>?
    private var deadlineTask: Scheduled<Void>?

    /// The largest slice of decoded bytes handed to a consumer at once.
    static let decodedSlice = 1 << 20

    init(handshake: EventLoopPromise<Void>?) {
        self.handshake = handshake
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Writes `request` and answers its outcome. Fails at once if the connection is closed or busy.
    func start(
        _ request: ClientRequest, consumer: any ResponseConsumer, followRedirects: Bool, decompress: Bool,
        readTimeout: TimeAmount, deadline: NIODeadline, loop: any EventLoop
    ) -> EventLoopFuture<ExchangeOutcome> {
        guard let context, context.channel.isActive, exchange == nil else {
            return loop.makeFailedFuture(ExchangeError(underlying: ClientFailure.closed, responseStarted: false))
        }
        generation += 1
        let promise = loop.makePromise(of: ExchangeOutcome.self)
        exchange = Exchange(
            consumer: consumer, promise: promise, method: request.method, followRedirects: followRedirects,
            decompress: decompress, readTimeout: readTimeout)
        if deadline != .distantFuture {
            deadlineTask = loop.assumeIsolated().scheduleTask(deadline: deadline) {
                self.fail(ClientFailure.deadlineExceeded)
            }
        }
        lastRead = .now()
        armReadCheck(at: lastRead + readTimeout)
        let head = HTTPRequestHead(
            version: .http1_1, method: request.method, uri: request.target.pathAndQuery, headers: request.headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body = request.body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        return promise.futureResult
    }

    /// Fails the exchange in flight (if any) with `error` and closes the connection.
    func fail(_ error: any Error) {
        if let exchange {
            self.exchange = nil
            stopTimers()
            exchange.promise.fail(ExchangeError(underlying: error, responseStarted: exchange.responseStarted))
        }
        context?.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastRead = .now()
        guard var current = exchange else {
            // Bytes on an idle connection: nothing asked for them, so the connection cannot be trusted.
            context.close(promise: nil)
            return
        }
        do {
            switch unwrapInboundIn(data) {
            case .head(let head):
                current.responseStarted = true
                current.head = head
                exchange = current
                if current.followRedirects, [301, 302, 303, 307, 308].contains(head.status.code),
                    let location = head.headers.first(name: "location")
                {
                    exchange?.redirect = location
                    return
                }
                if current.decompress, let encoding = head.headers.first(name: "content-encoding") {
                    switch encoding.lowercased().filter({ $0 != " " && $0 != "\t" }) {
                    case "gzip", "x-gzip": exchange?.inflate = try InflateStream(format: .gzip)
                    case "deflate": exchange?.inflate = try InflateStream(format: .zlib)
                    default: break
                    }
                }
                try current.consumer.head(head)
            case .body(let bytes):
                guard current.redirect == nil else { return }
                guard let inflate = current.inflate else {
                    if let future = try current.consumer.body(bytes) { hold(until: future) }
                    return
                }
                // Decoded bytes go on in slices of at most 1 MiB, so a small compressed read cannot grow memory
                // beyond that before the consumer (and its size limit) sees it.
                let allocator = context.channel.allocator
                var decoded = allocator.buffer(capacity: min(bytes.readableBytes * 4, Self.decodedSlice))
                try bytes.withUnsafeReadableBytes { raw in
                    _ = try inflate.decompress(raw) { chunk in
                        decoded.writeBytes(chunk)
                        guard decoded.readableBytes >= Self.decodedSlice else { return }
                        if let future = try current.consumer.body(decoded) { hold(until: future) }
                        decoded = allocator.buffer(capacity: Self.decodedSlice)
                    }
                }
                if decoded.readableBytes > 0, let future = try current.consumer.body(decoded) { hold(until: future) }
            case .end:
                try complete(current, context: context)
            }
        } catch let error as ZlibError {
            fail(ClientFailure.badEncoding(error.description))
        } catch {
            fail(error)
        }
    }

    private func complete(_ current: Exchange, context: ChannelHandlerContext) throws {
        guard let head = current.head else { throw ClientFailure.closed }
        if let inflate = current.inflate, inflate.totalIn > 0, !inflate.isFinished {
            throw ClientFailure.badEncoding("the compressed body ends before its end marker")
        }
        var body: ByteBuffer?
        if current.redirect == nil { body = try current.consumer.end() }
        let reusable = head.isKeepAlive && !Self.delimitedByClose(head, method: current.method)
        exchange = nil
        stopTimers()
        pending = 0
        if readHeld {
            readHeld = false
            context.read()
        }
        if let location = current.redirect {
            current.promise.succeed(.redirect(head, location: location, reusable: reusable))
        } else {
            current.promise.succeed(.complete(head, body: body, reusable: reusable))
        }
        if !reusable { context.close(promise: nil) }
    }

    /// Whether the body of `head` ends only when the server closes the connection.
    static func delimitedByClose(_ head: HTTPResponseHead, method: HTTPMethod) -> Bool {
        let code = head.status.code
        if method == .HEAD || code == 204 || code == 304 || (100..<200).contains(code) { return false }
        if head.headers.contains(name: "content-length") { return false }
        return !head.headers[canonicalForm: "transfer-encoding"].contains { $0.lowercased() == "chunked" }
    }

    /// Holds reads until `future` completes; fails the exchange if it fails.
    private func hold(until future: EventLoopFuture<Void>) {
        pending += 1
        let generation = generation
        guard let loop = context?.eventLoop else { return }
        future.hop(to: loop).assumeIsolated().whenComplete { result in
            guard generation == self.generation, self.exchange != nil else { return }
            switch result {
            case .failure(let error):
                self.fail(error)
            case .success:
                self.pending -= 1
                guard self.pending == 0 else { return }
                self.lastRead = .now()
                if self.readHeld {
                    self.readHeld = false
                    self.context?.read()
                }
            }
        }
    }

    func read(context: ChannelHandlerContext) {
        if pending > 0 {
            readHeld = true
        } else {
            context.read()
        }
    }

    private func armReadCheck(at due: NIODeadline) {
        guard let loop = context?.eventLoop else { return }
        readCheck = loop.assumeIsolated().scheduleTask(deadline: due) { self.checkRead() }
    }

    /// Fails the exchange once no bytes came for its read timeout; time spent holding reads is not silence.
    private func checkRead() {
        guard let current = exchange else { return }
        let now = NIODeadline.now()
        if pending > 0 { lastRead = now }
        let due = lastRead + current.readTimeout
        if due <= now {
            fail(ClientFailure.readTimeout(.nanoseconds(current.readTimeout.nanoseconds)))
        } else {
            armReadCheck(at: due)
        }
    }

    private func stopTimers() {
        readCheck?.cancel()
        readCheck = nil
        deadlineTask?.cancel()
        deadlineTask = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event { handshake?.succeed() }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        handshake?.fail(error)
        fail(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshake?.fail(ClientFailure.closed)
        fail(ClientFailure.closed)
        context.fireChannelInactive()
    }
}
