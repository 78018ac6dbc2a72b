import Logging
import NIOCore
import NIOHTTP1

/// Answers requests for synchronous routes on the connection's event loop; passes every other request on, whole,
/// through NIO's HTTP handlers to the connection's task.
///
/// Sits right after the request decoder (and before NIO's response encoder, once the connection has a task), so a
/// request answered here costs one handler on the way in and one write of the whole answer (status line, headers
/// and body in one buffer) on the way out, instead of three request parts and three response parts through five
/// handlers each. Until the connection has a task, it also does what NIO's pipeline and protocol error handlers
/// would: closes an idle connection at a graceful shutdown, and answers a malformed request 400. A request is
/// answered here when nothing else is in flight on the connection (every earlier request has its answer's end, so
/// answers stay in request order; a request pipelined behind one the task answers goes to the task too), the router
/// says its route and every middleware are synchronous (``Router/immediateRoute(method:path:)``), and its body
/// needs nothing the task does: no `Transfer-Encoding`, no `Expect`, and a `Content-Length` (if any) within the
/// route's limit. Everything else (413s, `100 Continue`, chunked bodies, streamed and async routes, 404 and 405)
/// goes on unchanged. The answer is what the task would have written: the same response and headers (framed as
/// NIO's encoder frames them), keep-alive rule, access-log line and timeouts (the connection guard is told of the
/// request and the answer as `Parts` would have seen them).
///
/// A route added with ``Router/immediate(_:_:maxBodyBytes:_:otherwise:)`` is answered here too, and so is its long
/// poll's wait: the request waits as a ``Waiter`` that calls back on this event loop, with no task. Requests
/// pipelined behind it are held (and reads withheld) until its answer is out. Such a route's request goes to the task
/// when its handler declines it, and its answer does when the wait's answer needs to suspend
/// (``ConnectionHandoff``).
///
/// The connection's task is started the first time a request must go to it: a connection that only makes requests
/// answered here never has one.
final class ImmediateResponder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private struct Pending {
        var head: HTTPRequestHead
        var route: Router.Route
        var parameters: RouteParameters
        var limit: Int
        var body: ByteBuffer?
        var start: ContinuousClock.Instant
    }

    /// A request for an immediate route, answered here (while its long poll waits, too).
    private struct Exchange {
        var head: HTTPRequestHead
        var request: HTTPRequest
        var requestContext: RequestContext
        var route: String
        var start: ContinuousClock.Instant
    }

    /// A long poll waiting here: its request, what it waits for, and its waiter.
    private struct Waiting {
        var exchange: Exchange
        var pending: PendingAnswer
        var waiter: Waiter
    }

    private enum State {
        /// Between requests.
        case idle
        /// The current request belongs to the task: its parts go on until its end.
        case forwarding
        /// The current request (`pending`) is answered here once its body is in.
        case collecting
        /// The current request's long poll waits; parts that come meanwhile are held.
        case waiting(Waiting)
        /// An answer here ended the connection (`Connection: close`), or it closed: nothing more is read.
        case closing

        /// Whether a part read now is handled at once (not held, not dropped).
        var readsParts: Bool {
            switch self {
            case .idle, .forwarding, .collecting: true
            case .waiting, .closing: false
            }
        }
    }

    private var state = State.idle
    /// The request being collected; set exactly while `state` is `collecting` (kept apart from the state so that
    /// its body grows in place).
    private var pending: Pending?
    /// The peer's address and its text, made on the connection's first request answered here.
    private var peer: (address: SocketAddress?, ip: String?)?
    /// A graceful shutdown began: later requests go to the task's side, where NIO's pipeline handler ends the
    /// connection; one being collected here is answered first, with `Connection: close`.
    private var quiescing = false
    /// Request parts that came while a long poll waited here, in order; read again once it is answered.
    private var held: [HTTPServerRequestPart] = []
    /// A `read` withheld while a long poll waits here.
    private var readPending = false
    /// Whether the connection's task was started.
    private var hasTask = false
    /// Answers were written here and their flush is scheduled for the end of the event loop's round (`writeAnswer`).
    private var flushScheduled = false
    /// Whether answers to requests just read may wait for the end of the round (``Flush/atRoundEnd``): only where
    /// the peer's EOF cannot close the connection past them (the server's plain TCP connections, whose EOF
    /// `ConnectionGuard.RawBytes` handles by flushing first).
    private let flushesAtRoundEnd: Bool
    private let server: HTTPServer
    private let guardian: ConnectionGuard
    private let handoff: ConnectionHandoff

    init(server: HTTPServer, guardian: ConnectionGuard, handoff: ConnectionHandoff, flushesAtRoundEnd: Bool = true) {
        self.server = server
        self.guardian = guardian
        self.handoff = handoff
        self.flushesAtRoundEnd = flushesAtRoundEnd
    }

    func read(context: ChannelHandlerContext) {
        // While a long poll waits here, no more requests are read (those already read are held); the peer closing
        // is still seen (NIO reads to the end on a hang-up).
        if case .waiting = state {
            readPending = true
            return
        }
        context.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .waiting:
            held.append(unwrapInboundIn(data))
        case .forwarding:
            if case .end = unwrapInboundIn(data) { state = .idle }
            context.fireChannelRead(data)
        case .idle:
            let part = unwrapInboundIn(data)
            guard case .head(let head) = part else {
                context.fireChannelRead(data)
                return
            }
            if !quiescing, guardian.isIdle, let collected = immediate(head) {
                guardian.requestHeadArrived()
                pending = collected
                state = .collecting
            } else {
                state = .forwarding
                startTask(context: context)
                context.fireChannelRead(data)
            }
        case .collecting:
            switch unwrapInboundIn(data) {
            case .body(var chunk):
                guardian.requestBodyArrived(chunk.readableBytes)
                if pending?.body == nil {
                    pending?.body = chunk
                } else {
                    pending?.body!.writeBuffer(&chunk)
                }
            case .end:
                state = .idle
                guardian.requestEndArrived()
                guard let collected = pending.take() else { preconditionFailure("collecting without a request") }
                respond(collected, context: context)
            case .head:
                // The decoder never sends a head before the previous request's end.
                state = .closing
                pending = nil
                closeAfterFlushing(context: context)
            }
        case .closing:
            return
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            // The request being collected or waiting here is answered (and the connection closed) first; otherwise
            // NIO's pipeline handler closes an idle connection, or the task's side once its answer is out. Without a
            // task there is no pipeline handler: an idle connection is closed here, as it would close it.
            let answering: Bool
            switch state {
            case .collecting, .waiting: answering = true
            default: answering = false
            }
            quiescing = true
            if answering { return }
            if !hasTask {
                state = .closing
                closeAfterFlushing(context: context)
                return
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .waiting(let waiting) = state {
            // Its answer is made (whatever it counted is uncounted) and dropped: see `woke`.
            waiting.waiter.resume(.cancelled)
        } else {
            state = .closing
        }
        pending = nil
        held = []
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A decoder error: the protocol error handler answers 400 and the connection closes; a request being
        // collected here is dropped with the connection. Without a task there is no protocol error handler: the 400
        // it would write is written here (not into a connection that closed already: nobody can read it then).
        if case .collecting = state {
            state = .closing
            pending = nil
        }
        if !hasTask, error is HTTPParserError, context.channel.isActive {
            // A poll waiting here stays `waiting`: the close that follows ends its wait (`channelInactive`).
            if case .waiting = state {} else { state = .closing }
            var answer = context.channel.allocator.buffer(capacity: 80)
            answer.writeStaticString("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(answer)), promise: nil)
        }
        context.fireErrorCaught(error)
    }

    /// What a request answered here needs, or nil when the task answers `head`.
    private func immediate(_ head: HTTPRequestHead) -> Pending? {
        let headers = head.headers
        guard !headers.contains(name: "transfer-encoding"), !headers.contains(name: "expect") else { return nil }
        let uri = head.uri
        var path = uri.utf8.firstIndex(of: UInt8(ascii: "?")).map { String(uri[..<$0]) } ?? uri
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
        let peer: (address: SocketAddress?, ip: String?)
        if let known = self.peer {
            peer = known
        } else {
            // `channel.remoteAddress` is cached by the channel (`context.remoteAddress` asks the kernel).
            let address = channel.remoteAddress
            peer = (address, address?.ipAddress)
            self.peer = peer
        }
        let requestContext = RequestContext(
            logger: server.logger,
            requestID: id,
            eventLoop: context.eventLoop,
            shutdownSignal: server.shutdownSignal,
            remoteAddress: peer.address,
            remoteIP: peer.ip,
            connectionClosed: channel.closeFuture
        )
        let response: HTTPResponse
        if (pending.body?.readableBytes ?? 0) > pending.limit {
            // Cannot happen within a Content-Length checked against the limit; kept as the task's rule.
            response = HTTPError.payloadTooLarge(limit: pending.limit).response
        } else if pending.route.immediate != nil {
            let exchange = Exchange(
                head: head, request: request, requestContext: requestContext, route: pending.route.template,
                start: pending.start)
            let step = server.router.respondImmediately(
                request, route: pending.route, context: requestContext, since: pending.start)
            proceed(step, exchange, body: pending.body, flush: .atRoundEnd, context: context)
            return
        } else {
            response = server.router.respondImmediately(request, route: pending.route, context: requestContext)
        }
        write(
            response, for: head, route: pending.route.template, start: pending.start, requestContext: requestContext,
            flush: .atRoundEnd, context: context)
    }

    /// Does what the router said comes next for `exchange`: write its answer (flushed as `flush` says), pass it to
    /// the connection's task (to be routed again, or with the answer to make), or wait. `body` is its body, for
    /// routing it again.
    private func proceed(
        _ step: Router.ImmediateStep, _ exchange: Exchange, body: ByteBuffer?, flush: Flush,
        context: ChannelHandlerContext
    ) {
        switch step {
        case .response(let response):
            write(
                response, for: exchange.head, route: exchange.route, start: exchange.start,
                requestContext: exchange.requestContext, flush: flush, context: context)
        case .declined:
            forward(exchange.head, body: body, context: context)
        case .waiting(let pending):
            wait(exchange, for: pending, context: context)
        case .later(let answer):
            handoff.put(answer, route: exchange.route)
            forward(exchange.head, body: nil, context: context)
        }
    }

    /// Starts `request`'s wait for `pending`: its waiter calls `woke` on this event loop.
    private func wait(_ request: Exchange, for pending: PendingAnswer, context: ChannelHandlerContext) {
        let eventLoop = context.eventLoop
        // The channel itself is held too: the context does not keep it alive.
        let target = NIOLoopBound((handler: self, context: context, channel: context.channel), eventLoop: eventLoop)
        let waiter = Waiter { reason in
            eventLoop.execute {
                let (handler, context, channel) = target.value
                handler.woke(reason, pending: pending, context: context, channel: channel)
            }
        }
        state = .waiting(Waiting(exchange: request, pending: pending, waiter: waiter))
        if let early = pending.notifier.arm(
            waiter, since: pending.since, until: pending.deadline, shutdown: server.shutdownSignal, on: eventLoop)
        {
            waiter.resume(early)
        }
    }

    /// The long poll waiting here for `pending` ended with `reason`: answers it, waits again, or hands its answer to
    /// the task. When the connection closed meanwhile, the answer is made (the route uncounts what it counted) and
    /// dropped.
    private func woke(
        _ reason: WakeReason, pending: PendingAnswer, context: ChannelHandlerContext, channel: any Channel
    ) {
        guard case .waiting(let waiting) = state, waiting.pending === pending else { return }
        pending.notifier.disarm(waiting.waiter, until: pending.deadline, shutdown: server.shutdownSignal)
        let current = waiting.exchange
        let step = server.router.answerAfterWait(
            pending, reason: reason, request: current.request, context: current.requestContext, since: current.start)
        guard channel.isActive else {
            state = .closing
            return
        }
        state = .idle
        // The body is not kept while a poll waits: a step after the wait never routes the request again.
        // Flushed at once: a wake-up answers many polls and reads nothing, so their clients may as well read while
        // the others are answered.
        proceed(step, current, body: nil, flush: .now, context: context)
        readHeld(context: context)
    }

    /// Passes a request answered here so far to the connection's task (starting it), as the decoder gave it.
    private func forward(_ head: HTTPRequestHead, body: ByteBuffer?, context: ChannelHandlerContext) {
        // The task's side counts the request again (`Parts`): this side's count ends here.
        guardian.responseEnded()
        state = .forwarding
        startTask(context: context)
        context.fireChannelRead(wrapInboundOut(.head(head)))
        if let body, body.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(.body(body))) }
        // The end switches `state` back to idle, as the decoder's end would.
        channelRead(context: context, data: wrapInboundOut(.end(nil)))
        context.fireChannelReadComplete()
    }

    /// Reads the parts held while a long poll waited, until one waits again; then the read that was withheld.
    private func readHeld(context: ChannelHandlerContext) {
        var read = false
        while !held.isEmpty, state.readsParts {
            read = true
            channelRead(context: context, data: wrapInboundOut(held.removeFirst()))
        }
        if read { context.fireChannelReadComplete() }
        if readPending, state.readsParts {
            readPending = false
            context.read()
        }
    }

    /// When an answer written here is flushed.
    enum Flush {
        /// At the end of the event loop's round: for an answer to a request just read.
        ///
        /// Every connection whose request was read in this round is answered first, then the answers go out, one
        /// write each: a client blocked on several of these connections is woken by the first answer and finds the
        /// others ready, instead of being woken (and its CPU interrupted) once per answer while the server still
        /// reads. On a busy machine that halves the kernel's cost per request (docs/decisions.md). A connection's
        /// pipelined answers go out in one write. The delay is the rest of the round: the requests read with this
        /// one, answered here.
        case atRoundEnd
        /// Now: for an answer after a wait. A wake-up reads nothing; its polls' clients read while the rest are
        /// answered (1,000 polls: p50 8.7 ms against 13.1 ms flushed at the round's end).
        case now
    }

    /// Writes a keep-alive answer and flushes it as `flush` says.
    private func writeAnswer(_ bytes: ByteBuffer, flush: Flush, context: ChannelHandlerContext) {
        guard flush == .atRoundEnd, flushesAtRoundEnd else {
            flushScheduled = false
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(bytes)), promise: nil)
            return
        }
        context.write(wrapOutboundOut(.byteBuffer(bytes)), promise: nil)
        guard !flushScheduled else { return }
        flushScheduled = true
        // Runs after the round's I/O (NIO runs tasks once the selector's events are handled).
        context.eventLoop.assumeIsolated().execute { [self] in flushNow(context: context) }
    }

    /// Flushes answers written by ``writeAnswer(_:flush:context:)`` and not yet flushed: before the connection closes, so
    /// that a close never drops them.
    private func flushNow(context: ChannelHandlerContext) {
        guard flushScheduled else { return }
        flushScheduled = false
        context.flush()
    }

    func flush(context: ChannelHandlerContext) {
        // A flush from the task's side carries this side's answers too (they were written first).
        flushScheduled = false
        context.flush()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        closeAfterFlushing(context: context, mode: mode, promise: promise)
    }

    /// Closes the connection (from here toward the socket) once the answers written here are flushed.
    private func closeAfterFlushing(
        context: ChannelHandlerContext, mode: CloseMode = .all, promise: EventLoopPromise<Void>? = nil
    ) {
        flushNow(context: context)
        context.close(mode: mode, promise: promise)
    }

    private func startTask(context: ChannelHandlerContext) {
        guard !hasTask else { return }
        hasTask = true
        server.startTask(for: context.channel, after: self, guardian: guardian, handoff: handoff)
    }

    /// Writes `response` (bytes) as one buffer, flushed as `flush` says, logs it, and ends the connection when it
    /// does not stay open.
    private func write(
        _ response: HTTPResponse, for head: HTTPRequestHead, route: String, start: ContinuousClock.Instant,
        requestContext: RequestContext, flush: Flush, context: ChannelHandlerContext
    ) {
        var response = response
        let server = self.server
        let channel = context.channel
        guard case .buffer(let body) = response.body.storage else {
            preconditionFailure("respondImmediately answers with bytes")
        }
        var keepAlive = head.isKeepAlive && !server.shutdownSignal.isTriggered && !quiescing
        let status = response.status
        let sendsBody = head.method != .HEAD && !ResponseWriter.bodyless(status) && body.readableBytes > 0
        var bytes = channel.allocator.buffer(capacity: 256 + (sendsBody ? body.readableBytes : 0))
        if !Self.writeFramedHead(
            version: head.version, status: status, headers: response.headers, length: body.readableBytes,
            keepAlive: keepAlive, into: &bytes)
        {
            // The handler set a framing header itself: frame it as the task's writer does.
            ResponseWriter.setLength(body.readableBytes, status: status, in: &response.headers)
            ResponseWriter.setConnection(
                keepAlive: &keepAlive, version: head.version, hasLength: true, in: &response.headers)
            if !status.mayHaveResponseBody {
                // As NIO's encoder frames such a response.
                response.headers.remove(name: "content-length")
                response.headers.remove(name: "transfer-encoding")
            }
            Self.writeHead(version: head.version, status: status, headers: response.headers, into: &bytes)
        }
        if let level = server.configuration.accessLogLevel, server.logger.logLevel <= level {
            server.logAccess(
                head, status: status, bytes: sendsBody ? body.readableBytes : 0, route: route, start: start,
                level: level, logger: requestContext.logger, channel: channel)
        }
        if sendsBody {
            var body = body
            bytes.writeBuffer(&body)
        }
        guardian.responseEnded()
        if keepAlive {
            writeAnswer(bytes, flush: flush, context: context)
        } else {
            state = .closing
            held = []
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(bytes))).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// The status line, the handler's headers and the framing headers (`Content-Length`, `Connection`) the task's
    /// writer would add, in its order, written in one pass. Returns false, having written nothing, when the handler
    /// set `Content-Length`, `Transfer-Encoding` or `Connection` itself: those are framed by
    /// ``ResponseWriter/setLength(_:status:in:)`` and ``ResponseWriter/setConnection(keepAlive:version:hasLength:in:)``.
    static func writeFramedHead(
        version: HTTPVersion, status: HTTPResponseStatus, headers: HTTPHeaders, length: Int, keepAlive: Bool,
        into buffer: inout ByteBuffer
    ) -> Bool {
        for (name, _) in headers where Self.isFraming(name) { return false }
        writeStatusLine(version: version, status: status, into: &buffer)
        writeHeaderLines(headers, into: &buffer)
        // `setLength`, then NIO's encoder dropping it where no body may follow.
        if status.code >= 200, status != .noContent, status.mayHaveResponseBody {
            buffer.writeStaticString("content-length: ")
            buffer.writeString(String(length))
            buffer.writeStaticString("\r\n")
        }
        // `setConnection` with a length: HTTP/1.0 says when it stays open, HTTP/1.1 when it does not.
        if !keepAlive {
            buffer.writeStaticString("connection: close\r\n")
        } else if version.major == 1 && version.minor == 0 {
            buffer.writeStaticString("connection: keep-alive\r\n")
        }
        buffer.writeStaticString("\r\n")
        return true
    }

    private static func isFraming(_ name: String) -> Bool {
        switch name.utf8.count {
        case 10: return name.utf8.compareCaseInsensitiveASCII(to: "connection")
        case 14: return name.utf8.compareCaseInsensitiveASCII(to: "content-length")
        case 17: return name.utf8.compareCaseInsensitiveASCII(to: "transfer-encoding")
        default: return false
        }
    }

    private static func writeStatusLine(version: HTTPVersion, status: HTTPResponseStatus, into buffer: inout ByteBuffer)
    {
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
    }

    /// The status line and headers as NIO's `HTTPResponseEncoder` writes them.
    private static func writeHead(
        version: HTTPVersion, status: HTTPResponseStatus, headers: HTTPHeaders, into buffer: inout ByteBuffer
    ) {
        writeStatusLine(version: version, status: status, into: &buffer)
        writeHeaderLines(headers, into: &buffer)
        buffer.writeStaticString("\r\n")
    }

    /// `name: value` and CRLF for each header, in order.
    private static func writeHeaderLines(_ headers: HTTPHeaders, into buffer: inout ByteBuffer) {
        for (name, value) in headers {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
    }
}

extension String.UTF8View {
    /// Whether these bytes equal `other`'s, ASCII letters compared without case (`other` is lower case).
    fileprivate func compareCaseInsensitiveASCII(to other: StaticString) -> Bool {
        guard count == other.utf8CodeUnitCount else { return false }
        return other.withUTF8Buffer { expected in
            var index = 0
            for byte in self {
                let lowered = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
                guard lowered == expected[index] else { return false }
                index += 1
            }
            return true
        }
    }
}
