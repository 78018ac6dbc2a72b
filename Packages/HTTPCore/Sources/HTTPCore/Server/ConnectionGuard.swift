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
    private var armed: ConnectionTimeoutState.Timer = .none
    private var scheduled: Scheduled<Void>?
    private var channel: (any Channel)?
    /// When the current body began (its head arrived), and how many body bytes came since.
    private var bodyStart: NIODeadline = .now()
    private var bodyBytes = 0
    private var bodyCheck: Scheduled<Void>?

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
        guard wanted != armed, let channel else { return }
        armed = wanted
        scheduled?.cancel()
        scheduled = nil
        bodyCheck?.cancel()
        bodyCheck = nil
        let delay: TimeAmount?
        let reason: HTTPServer.ConnectionTimeout
        switch wanted {
        case .none: return
        case .headerRead: (delay, reason) = (limits.headerRead, .headerRead)
        case .request:
            (delay, reason) = (limits.request, .request)
            if let bodyRead = limits.bodyRead { scheduleBodyCheck(at: bodyStart + bodyRead, on: channel) }
        case .idle: (delay, reason) = (limits.idle, .idle)
        }
        guard let delay else { return }
        let onTimeout = limits.onTimeout
        scheduled = channel.eventLoop.scheduleTask(in: delay) { [weak channel] in
            guard let channel, channel.isActive else { return }
            onTimeout?(reason)
            channel.close(promise: nil)
        }
    }

    /// The body deadline: `bodyRead` after the head, plus one second per `minimumBodyRate` bytes received. Checked
    /// when it falls due, and moved on if bytes came meanwhile, so a steady upload never pays for a timer per read.
    private var bodyDeadline: NIODeadline {
        let bodyRead = limits.bodyRead ?? .zero
        guard limits.minimumBodyRate > 0 else { return bodyStart + bodyRead }
        let earned = Int64(bodyBytes) * 1_000_000_000 / Int64(limits.minimumBodyRate)
        return bodyStart + bodyRead + .nanoseconds(earned)
    }

    private func scheduleBodyCheck(at deadline: NIODeadline, on channel: any Channel) {
        // Held until the task runs or `update`/`detach` cancels it; both happen on the channel's event loop.
        let owner = NIOLoopBound(self, eventLoop: channel.eventLoop)
        bodyCheck = channel.eventLoop.scheduleTask(deadline: deadline) { [weak channel] in
            let owner = owner.value
            guard let channel, owner.armed == .request else { return }
            let due = owner.bodyDeadline
            if due > .now() {
                owner.scheduleBodyCheck(at: due, on: channel)
                return
            }
            guard channel.isActive else { return }
            owner.limits.onTimeout?(.bodyTooSlow)
            channel.close(promise: nil)
        }
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
        bodyCheck?.cancel()
        bodyCheck = nil
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
            case .head:
                owner.state.headReceived()
                owner.bodyStarted()
            case .body(let buffer): owner.bodyReceived(buffer.readableBytes)
            case .end: owner.state.endReceived()
            }
            owner.update()
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
            if case .end = unwrapOutboundIn(data) {
                owner.state.responseEnded()
                owner.update()
            }
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
