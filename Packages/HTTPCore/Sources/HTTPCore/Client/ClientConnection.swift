import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// One HTTP/1.1 connection of `HTTPClient`: a channel whose last handler is a `ClientChannelHandler`.
///
/// Used by one request at a time; between requests it waits in the `ConnectionPool`.
final class ClientConnection: Sendable {
    let channel: any Channel
    let origin: RequestTarget.Origin
    private let handler: NIOLoopBound<ClientChannelHandler>

    private init(channel: any Channel, origin: RequestTarget.Origin, handler: NIOLoopBound<ClientChannelHandler>) {
        self.channel = channel
        self.origin = origin
        self.handler = handler
    }

    /// Reads of up to 1 MiB: a download moves in few, large reads (the size adapts, so idle connections stay small).
    static let receiveAllocator = AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 16 * 1024, maximum: 1 << 20)

    /// Connects to `origin` (and completes the TLS handshake when `tls` is given) before `deadline`.
    ///
    /// Cancelling the calling task fails the connect at once and closes the channel when it arrives.
    static func connect(
        to origin: RequestTarget.Origin, tls: NIOSSLContext?, deadline: NIODeadline, timeout: Duration,
        group: any EventLoopGroup
    ) async throws -> ClientConnection {
        let loop = group.next()
        let ready = loop.makePromise(of: Void.self)
        let timer = loop.scheduleTask(deadline: deadline) { ready.fail(ClientFailure.connectTimeout(timeout)) }
        let serverName = origin.hostIsAddress ? nil : origin.host
        let connecting = ClientBootstrap(group: loop)
            .connectTimeout(max(.zero, deadline - .now()))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.recvAllocator, value: receiveAllocator)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    }
                    try pipeline.addHTTPClientHandlers()
                    try pipeline.addHandler(ClientChannelHandler(handshake: tls == nil ? nil : ready))
                }
            }
            .connect(host: origin.host, port: origin.port)
        connecting.whenComplete { result in
            switch result {
            case .failure(let error): ready.fail(error)
            case .success: if tls == nil { ready.succeed() }
            }
        }
        ready.futureResult.whenComplete { result in
            timer.cancel()
            if case .failure = result { connecting.whenSuccess { $0.close(promise: nil) } }
        }
        try await withTaskCancellationHandler {
            try await ready.futureResult.get()
        } onCancel: {
            ready.fail(CancellationError())
        }
        let channel = try await connecting.get()
        let handler = try await loop.submit {
            NIOLoopBound(try channel.pipeline.syncOperations.handler(type: ClientChannelHandler.self), eventLoop: loop)
        }.get()
        return ClientConnection(channel: channel, origin: origin, handler: handler)
    }

    /// Sends `request` and waits for its outcome; cancelling the calling task closes the connection at once.
    func execute(
        _ request: ClientRequest, consumer: any ResponseConsumer, followRedirects: Bool, decompress: Bool,
        readTimeout: Duration, deadline: NIODeadline
    ) async throws -> ExchangeOutcome {
        let (handler, loop) = (handler, channel.eventLoop)
        let outcome = loop.flatSubmit {
            handler.value.start(
                request, consumer: consumer, followRedirects: followRedirects, decompress: decompress,
                readTimeout: TimeAmount(readTimeout), deadline: deadline, loop: loop)
        }
        return try await withTaskCancellationHandler {
            try await outcome.get()
        } onCancel: {
            loop.execute { handler.value.fail(CancellationError()) }
        }
    }

    /// Closes the connection.
    func close() {
        channel.close(promise: nil)
    }
}

/// The idle keep-alive connections of a client, a few per origin.
///
/// A connection comes back only after a complete response that allows reuse; one the server closes while idle
/// leaves the pool as it closes. `closeAll` (shutdown) closes every open connection, busy ones too.
final class ConnectionPool: Sendable {
    /// Idle connections kept per origin.
    static let maxIdlePerOrigin = 4

    private struct State {
        var idle: [RequestTarget.Origin: [ClientConnection]] = [:]
        /// Every open connection, idle or busy, for `closeAll`.
        var open: [ObjectIdentifier: ClientConnection] = [:]
        var closed = false
    }
    private let state = Mutex(State())

    /// An idle connection to `origin` that is still open, if any (the most recently used).
    func take(_ origin: RequestTarget.Origin) -> ClientConnection? {
        state.withLock { state in
            while let connection = state.idle[origin]?.popLast() {
                if connection.channel.isActive { return connection }
            }
            return nil
        }
    }

    /// Keeps `connection` for reuse, or closes it when the pool is full or shut down.
    func put(_ connection: ClientConnection) {
        let kept = state.withLock { state in
            guard !state.closed, connection.channel.isActive,
                state.idle[connection.origin, default: []].count < Self.maxIdlePerOrigin
            else { return false }
            state.idle[connection.origin, default: []].append(connection)
            return true
        }
        if !kept { connection.close() }
    }

    /// Counts a new connection as open until it closes; closes it at once after `closeAll`.
    func track(_ connection: ClientConnection) {
        let open = state.withLock { state in
            if !state.closed { state.open[ObjectIdentifier(connection)] = connection }
            return !state.closed
        }
        guard open else {
            connection.close()
            return
        }
        connection.channel.closeFuture.whenComplete { [weak self] _ in self?.remove(connection) }
    }

    private func remove(_ connection: ClientConnection) {
        state.withLock { state in
            state.idle[connection.origin]?.removeAll { $0 === connection }
            state.open[ObjectIdentifier(connection)] = nil
        }
    }

    /// Closes every connection (a request in flight fails as closed) and waits for them to close; a connection made
    /// later is closed at once.
    func closeAll() async {
        let connections = state.withLock { state in
            state.closed = true
            defer { (state.idle, state.open) = ([:], [:]) }
            return Array(state.open.values)
        }
        for connection in connections {
            connection.close()
            try? await connection.channel.closeFuture.get()
        }
    }
}
