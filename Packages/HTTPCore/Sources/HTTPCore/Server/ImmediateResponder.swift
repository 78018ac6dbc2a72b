import Logging
import NIOCore
import NIOHTTP1

/// Answers requests for synchronous routes on the connection's event loop; passes every other request on, whole,
/// through NIO's HTTP handlers to the connection's task.
///
/// Sits right after the request decoder and before the response encoder, so a request answered here costs one
/// handler on the way in and one write of the whole answer (status line, headers and body in one buffer) on the
/// way out, instead of three request parts and three response parts through five handlers each. A request is
/// answered here when nothing else is in flight on the connection (every earlier request has its answer's end, so
/// answers stay in request order; a request pipelined behind one the task answers goes to the task too), the router
/// says its route and every middleware are synchronous (``Router/immediateRoute(method:path:)``), and its body
/// needs nothing the task does: no `Transfer-Encoding`, no `Expect`, and a `Content-Length` (if any) within the
/// route's limit. Everything else (413s, `100 Continue`, chunked bodies, streamed and async routes, 404 and 405)
/// goes on unchanged. The answer is what the task would have written: the same response and headers (framed as
/// NIO's encoder frames them), keep-alive rule, access-log line and timeouts (the connection guard is told of the
/// request and the answer as `Parts` would have seen them).
final class ImmediateResponder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = IOData

    private struct Pending {
        var head: HTTPRequestHead
        var route: Router.Route
        var parameters: RouteParameters
        var limit: Int
        var body: ByteBuffer?
        var start: ContinuousClock.Instant
    }

    private enum State {
        /// Between requests.
        case idle
        /// The current request belongs to the task: its parts go on until its end.
        case forwarding
        /// The current request is answered here once its body is in.
        case collecting(Pending)
        /// An answer here ended the connection (`Connection: close`), or it closed: nothing more is read.
        case closing
    }

    private var state = State.idle
    /// A graceful shutdown began: later requests go to the task's side, where NIO's pipeline handler ends the
    /// connection; one being collected here is answered first, with `Connection: close`.
    private var quiescing = false
    private let server: HTTPServer
    private let guardian: ConnectionGuard

    init(server: HTTPServer, guardian: ConnectionGuard) {
        self.server = server
        self.guardian = guardian
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .forwarding:
            if case .end = unwrapInboundIn(data) { state = .idle }
            context.fireChannelRead(data)
        case .idle:
            let part = unwrapInboundIn(data)
            guard case .head(let head) = part else {
                context.fireChannelRead(data)
                return
            }
            if !quiescing, guardian.isIdle, let pending = immediate(head) {
                guardian.requestHeadArrived()
                state = .collecting(pending)
            } else {
                state = .forwarding
                context.fireChannelRead(data)
            }
        case .collecting(var pending):
            switch unwrapInboundIn(data) {
            case .body(var chunk):
                state = .idle  // the pending value is uniquely held while its body grows
                guardian.requestBodyArrived(chunk.readableBytes)
                if pending.body == nil {
                    pending.body = chunk
                } else {
                    pending.body!.writeBuffer(&chunk)
                }
                state = .collecting(pending)
            case .end:
                state = .idle
                guardian.requestEndArrived()
                respond(pending, context: context)
            case .head:
                // The decoder never sends a head before the previous request's end.
                state = .closing
                context.close(promise: nil)
            }
        case .closing:
            return
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            // The request being collected is answered (and the connection closed) first; otherwise the pipeline
            // handler closes an idle connection, or the task's side once its answer is out.
            let collecting: Bool
            if case .collecting = state { collecting = true } else { collecting = false }
            quiescing = true
            if collecting { return }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closing
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A decoder error: the protocol error handler answers 400 and closes; a request being collected here is
        // dropped with the connection.
        if case .collecting = state { state = .closing }
        context.fireErrorCaught(error)
    }

    /// What a request answered here needs, or nil when the task answers `head`.
    private func immediate(_ head: HTTPRequestHead) -> Pending? {
        let headers = head.headers
        guard !headers.contains(name: "transfer-encoding"), !headers.contains(name: "expect") else { return nil }
        let uri = head.uri
        var path = uri.firstIndex(of: "?").map { String(uri[..<$0]) } ?? uri
        if path.isEmpty { path = "/" }
        guard let (route, parameters) = server.router.immediateRoute(method: head.method, path: path),
            case .collect(let limit) = route.policy
        else { return nil }
        if let declared = headers.first(name: "content-length") {
            guard let length = Int(declared), length >= 0, length <= limit else { return nil }
        }
        return Pending(
            head: head, route: route, parameters: parameters, limit: limit, body: nil, start: ContinuousClock.now)
    }

    private func respond(_ pending: Pending, context: ChannelHandlerContext) {
        let head = pending.head
        let server = self.server
        let id = server.requestCounter.wrappingAdd(1, ordering: .relaxed).newValue
        var request = HTTPRequest(
            method: head.method, uri: head.uri, headers: head.headers, version: head.version,
            body: RequestBody(buffer: pending.body ?? ByteBuffer()))
        request.parameters = pending.parameters
        request.route = pending.route.template
        let channel = context.channel
        let requestContext = RequestContext(
            logger: server.logger,
            requestID: id,
            eventLoop: context.eventLoop,
            shutdownSignal: server.shutdownSignal,
            remoteAddress: channel.remoteAddress,  // cached by the channel; `context.remoteAddress` asks the kernel
            connectionClosed: channel.closeFuture
        )
        var response: HTTPResponse
        if (pending.body?.readableBytes ?? 0) > pending.limit {
            // Cannot happen within a Content-Length checked against the limit; kept as the task's rule.
            response = HTTPError.payloadTooLarge(limit: pending.limit).response
        } else {
            response = server.router.respondImmediately(request, route: pending.route, context: requestContext)
        }
        guard case .buffer(let body) = response.body.storage else {
            preconditionFailure("respondImmediately answers with bytes")
        }
        var keepAlive = head.isKeepAlive && !server.shutdownSignal.isTriggered && !quiescing
        let status = response.status
        ResponseWriter.setLength(body.readableBytes, status: status, in: &response.headers)
        ResponseWriter.setConnection(
            keepAlive: &keepAlive, version: head.version, hasLength: true, in: &response.headers)
        if !status.mayHaveResponseBody {
            // As NIO's encoder frames such a response.
            response.headers.remove(name: "content-length")
            response.headers.remove(name: "transfer-encoding")
        }
        let sendsBody = head.method != .HEAD && !ResponseWriter.bodyless(status) && body.readableBytes > 0
        if let level = server.configuration.accessLogLevel, server.logger.logLevel <= level {
            server.logAccess(
                head, status: status, bytes: sendsBody ? body.readableBytes : 0, route: pending.route.template,
                start: pending.start, level: level, logger: requestContext.logger, channel: channel)
        }
        var bytes = channel.allocator.buffer(capacity: 256 + (sendsBody ? body.readableBytes : 0))
        Self.writeHead(version: head.version, status: status, headers: response.headers, into: &bytes)
        if sendsBody {
            var body = body
            bytes.writeBuffer(&body)
        }
        guardian.responseEnded()
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(bytes)), promise: nil)
        } else {
            state = .closing
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(bytes))).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// The status line and headers as NIO's `HTTPResponseEncoder` writes them.
    static func writeHead(
        version: HTTPVersion, status: HTTPResponseStatus, headers: HTTPHeaders, into buffer: inout ByteBuffer
    ) {
        if version == .http1_1 {
            buffer.writeStaticString("HTTP/1.1 ")
        } else if version == .http1_0 {
            buffer.writeStaticString("HTTP/1.0 ")
        } else {
            buffer.writeString("HTTP/\(version.major).\(version.minor) ")
        }
        buffer.writeString(String(status.code))
        buffer.writeStaticString(" ")
        buffer.writeString(status.reasonPhrase)
        buffer.writeStaticString("\r\n")
        for (name, value) in headers {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("\r\n")
    }
}
