import NIOCore
import NIOHTTP1

/// Enforces the header-read, request and idle timeouts and the header size limit on one connection.
///
/// Two handlers share one state: `RawBytes` sits before the HTTP decoder and counts bytes; `Parts` sits after it
/// and sees request heads and ends, and response ends going out.
final class ConnectionGuard {
    struct Limits: Sendable {
        var headerRead: TimeAmount
        var request: TimeAmount?
        var idle: TimeAmount
        var maxHeaderBytes: Int
        /// Time allowed for a body before any of it counts; nil for no body deadline.
        var bodyRead: TimeAmount? = nil
        /// Bytes per second that extend the body deadline (each `minimumBodyRate` bytes buy one more second).
        var minimumBodyRate: Int = 0
        /// Told when a timer closes the connection.
        var onTimeout: (@Sendable (HTTPServer.ConnectionTimeout) -> Void)? = nil
    }

    private var state: ConnectionTimeoutState
    private let limits: Limits
    /// The timer the state wants, and since when (its deadline counts from there).
    private var phase: ConnectionTimeoutState.Timer = .none
    private var phaseStart: NIODeadline = .now()
    /// The one scheduled check, and when it runs. It is moved only to run earlier: a check that runs before anything
    /// is due schedules itself again for the new deadline. A keep-alive connection's requests (header read, request,
    /// answer, idle: four phases each) then cost no timer each, where cancelling and scheduling one per phase was
    /// about a tenth of a small request's CPU time.
    private var scheduled: Scheduled<Void>?
    private var scheduledAt: NIODeadline?
    private var channel: (any Channel)?
    /// When the current body began (its head arrived), and how many body bytes came since.
    private var bodyStart: NIODeadline = .now()
    private var bodyBytes = 0

    init(limits: Limits) {
        self.limits = limits
        self.state = ConnectionTimeoutState(maxHeaderBytes: limits.maxHeaderBytes)
    }

    var rawBytesHandler: RawBytes { RawBytes(owner: self) }
    var partsHandler: Parts { Parts(owner: self) }

    fileprivate func attach(_ channel: any Channel) {
        guard self.channel == nil else { return }
        self.channel = channel
        update()
    }

    fileprivate func update() {
        let wanted = state.timer
        guard wanted != phase, let channel else { return }
        phase = wanted
        phaseStart = .now()
        guard let due = due()?.deadline else { return }
        if let scheduledAt, scheduledAt <= due { return }
        schedule(at: due, on: channel)
    }

    /// The earliest deadline of the current phase and why the connection would be closed then; nil when no timer
    /// guards it (a handler is answering).
    private func due() -> (deadline: NIODeadline, reason: HTTPServer.ConnectionTimeout)? {
        switch phase {
        case .none:
            return nil
        case .headerRead:
            return (phaseStart + limits.headerRead, .headerRead)
        case .idle:
            return (phaseStart + limits.idle, .idle)
        case .request:
            let request = limits.request.map { (phaseStart + $0, HTTPServer.ConnectionTimeout.request) }
            let body = limits.bodyRead.map { _ in (bodyDeadline, HTTPServer.ConnectionTimeout.bodyTooSlow) }
            switch (request, body) {
            case (let request?, let body?): return body.0 < request.0 ? body : request
            case (let request?, nil): return request
            case (nil, let body?): return body
            case (nil, nil): return nil
            }
        }
    }

    private func schedule(at deadline: NIODeadline, on channel: any Channel) {
        scheduled?.cancel()
        scheduledAt = deadline
        // Held until the task runs or `detach` cancels it; both happen on the channel's event loop. The check uses
        // the channel this guard holds until `detach`: no weak reference to it. A weak reference gives the channel a
        // side table, and every retain and release of the channel (NIO makes several per request) then takes the
        // runtime's slow path: about a tenth of a `GET /trigger`'s CPU, measured.
        let owner = NIOLoopBound(self, eventLoop: channel.eventLoop)
        scheduled = channel.eventLoop.scheduleTask(deadline: deadline) {
            owner.value.check()
        }
    }

    /// The scheduled check: closes the connection when the current phase's deadline has passed, else waits for it.
    private func check() {
        scheduled = nil
        scheduledAt = nil
        guard let channel, let (deadline, reason) = due() else { return }
        if deadline > .now() {
            schedule(at: deadline, on: channel)
            return
        }
        guard channel.isActive else { return }
        limits.onTimeout?(reason)
        channel.close(promise: nil)
    }

    /// The body deadline: `bodyRead` after the head, plus one second per `minimumBodyRate` bytes received. Checked
    /// when it falls due, and moved on if bytes came meanwhile, so a steady upload never pays for a timer per read.
    private var bodyDeadline: NIODeadline {
        let bodyRead = limits.bodyRead ?? .zero
        guard limits.minimumBodyRate > 0 else { return bodyStart + bodyRead }
        let earned = Int64(bodyBytes) * 1_000_000_000 / Int64(limits.minimumBodyRate)
        return bodyStart + bodyRead + .nanoseconds(earned)
    }

    /// No request is being read or answered on the connection (every head seen has had its response's end).
    var isIdle: Bool { state.inFlight == 0 }

    /// A request's head came (for requests that do not pass through `Parts`: the event-loop path).
    func requestHeadArrived() {
        state.headReceived()
        bodyStarted()
        update()
    }

    /// Bytes of the current request's body came.
    func requestBodyArrived(_ count: Int) {
        bodyReceived(count)
    }

    /// The current request's end came.
    func requestEndArrived() {
        state.endReceived()
        update()
    }

    /// A response's end went out.
    func responseEnded() {
        state.responseEnded()
        update()
    }

    fileprivate func bodyStarted() {
        bodyStart = .now()
        bodyBytes = 0
    }

    fileprivate func bodyReceived(_ count: Int) {
        bodyBytes += count
    }

    fileprivate func detach() {
        scheduled?.cancel()
        scheduled = nil
        scheduledAt = nil
        channel = nil
    }

    /// Counts raw bytes before the decoder; answers 431 and closes when a head grows past the limit.
    final class RawBytes: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer

        private let owner: ConnectionGuard

        init(owner: ConnectionGuard) {
            self.owner = owner
        }

        func handlerAdded(context: ChannelHandlerContext) {
            if context.channel.isActive { owner.attach(context.channel) }
        }

        func channelActive(context: ChannelHandlerContext) {
            owner.attach(context.channel)
            context.fireChannelActive()
        }

        func channelInactive(context: ChannelHandlerContext) {
            owner.detach()
            context.fireChannelInactive()
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            // The peer's EOF on a plain TCP connection (the server allows half-closure there only to see it here,
            // first): the connection ends, as NIO would end it on EOF, but what was written and not yet flushed
            // (answers held for the end of the round, `ImmediateResponder`) goes out first. NIO's own close on EOF
            // fails such writes, and a client may send its request and its EOF together (`nc -N`). Not passed on:
            // the handlers after this one see the close, as they always did (the decoder reports an unfinished
            // request on a closed connection, as before).
            if case ChannelEvent.inputClosed = event {
                context.channel.flush()
                context.close(promise: nil)
                return
            }
            context.fireUserInboundEventTriggered(event)
        }

        private var rejecting = false

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            // After a 431 the rest of the input is read and dropped, so that closing does not reset the connection
            // before the client has read the answer.
            guard !rejecting else { return }
            let count = unwrapInboundIn(data).readableBytes
            owner.state.bytesReceived(count)
            context.fireChannelRead(data)
            if owner.state.checkHeaderSize() == .rejectHeaderTooLarge {
                rejecting = true
                owner.detach()
                var buffer = context.channel.allocator.buffer(capacity: 128)
                buffer.writeString(
                    "HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
                )
                // Written below the HTTP encoder on purpose: the request never became a request.
                let channel = context.channel
                context.writeAndFlush(NIOAny(buffer)).whenComplete { _ in
                    channel.close(mode: .output, promise: nil)
                    channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
                }
                return
            }
            owner.update()
        }
    }

    /// Watches request parts coming in and response parts going out.
    final class Parts: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias InboundOut = HTTPServerRequestPart
        typealias OutboundIn = HTTPServerResponsePart
        typealias OutboundOut = HTTPServerResponsePart

        private let owner: ConnectionGuard

        init(owner: ConnectionGuard) {
            self.owner = owner
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head: owner.requestHeadArrived()
            case .body(let buffer): owner.requestBodyArrived(buffer.readableBytes)
            case .end: owner.requestEndArrived()
            }
            context.fireChannelRead(data)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // The decoder reports an unfinished head when the connection closes (e.g. at a graceful shutdown while a
            // client is mid-head, or after a 431). Nobody can read an answer then, and passing the error on would
            // have HTTPServerProtocolErrorHandler write a 400 into a closed, quiesced pipeline (NIO traps on that).
            if !context.channel.isActive, error is HTTPParserError { return }
            context.fireErrorCaught(error)
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            if case .end = unwrapOutboundIn(data) { owner.responseEnded() }
            context.write(data, promise: promise)
        }
    }
}

/// Stops accepting (withholds `read` on the listening socket) while `maxConnections` are open.
final class ConnectionLimitHandler: ChannelDuplexHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel
    typealias OutboundIn = Never
    typealias OutboundOut = Never

    private let maxConnections: Int
    private var open = 0
    private var readPending = false

    init(maxConnections: Int) {
        self.maxConnections = maxConnections
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let child = unwrapInboundIn(data)
        open += 1
        let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        child.closeFuture.hop(to: context.eventLoop).whenComplete { _ in
            let (handler, context) = loopBound.value
            handler.open -= 1
            if handler.readPending, handler.open < handler.maxConnections {
                handler.readPending = false
                context.read()
            }
        }
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        guard open < maxConnections else {
            readPending = true
            return
        }
        context.read()
    }
}
