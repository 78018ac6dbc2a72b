import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization

/// An HTTP/1.1 server on SwiftNIO that answers through a `Router`; a swift-service-lifecycle `Service`.
///
/// Graceful shutdown (from a `ServiceGroup`, or `triggerGracefulShutdown()`): stop accepting, fire the
/// `ShutdownSignal` so long polls answer, let in-flight requests finish (answered with `Connection: close`),
/// close idle keep-alive connections, and cut whatever is left after `shutdownTimeout`.
///
/// ```swift
/// let server = HTTPServer(router: router, configuration: .init(port: 0), logger: logger)
/// try await ServiceGroup(services: [server], logger: logger).run()
/// ```
public final class HTTPServer: Service, Sendable {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    private enum Phase {
        case idle
        case running(any Channel)
        case shuttingDown
        case stopped
    }

    private struct State {
        var phase = Phase.idle
        var address: SocketAddress?
        var addressWaiters: [CheckedContinuation<SocketAddress, any Error>] = []
        var connections: [ObjectIdentifier: any Channel] = [:]
        var forceClose: Scheduled<Void>?
        /// The listener closed: once `connections` is empty, no task can be started any more.
        var acceptEnded = false
    }

    /// The router that answers requests.
    public let router: Router
    /// The configuration given at creation.
    public let configuration: Configuration
    /// Fires when graceful shutdown begins; every request's context carries it.
    public let shutdownSignal: ShutdownSignal
    let logger: Logger
    let eventLoopGroup: any EventLoopGroup
    private let onServerRunning: (@Sendable (SocketAddress) async -> Void)?
    private let state = Mutex(State())
    let requestCounter = Atomic<UInt64>(0)
    /// How many connections were given a task so far (for tests: a connection answered on its event loop has none).
    let startedTasks = Atomic<Int>(0)
    /// Connections whose event loop asked for a task (see `startTask`), for `run()` to start it.
    private let taskRequests: AsyncStream<(Connection, ConnectionHandoff)>
    private let taskRequester: AsyncStream<(Connection, ConnectionHandoff)>.Continuation

    /// Creates a server; nothing listens until `run()`.
    ///
    /// - Parameter onServerRunning: called once the socket is bound, with the bound address (port 0 resolved).
    public init(
        router: Router,
        configuration: Configuration = Configuration(),
        logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onServerRunning: (@Sendable (SocketAddress) async -> Void)? = nil
    ) {
        self.router = router
        self.configuration = configuration
        self.logger = logger
        self.eventLoopGroup = eventLoopGroup
        self.onServerRunning = onServerRunning
        self.shutdownSignal = ShutdownSignal()
        (taskRequests, taskRequester) = AsyncStream.makeStream()
    }

    /// The bound address; waits until the server listens, throws if it stopped or failed to bind.
    public var localAddress: SocketAddress {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                let ready: Result<SocketAddress, any Error>? = state.withLock { state in
                    if case .stopped = state.phase { return .failure(HTTPServerStopped()) }
                    if let address = state.address { return .success(address) }
                    state.addressWaiters.append(continuation)
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        }
    }

    /// The bound port (see `localAddress`).
    public var port: Int {
        get async throws { try await localAddress.port ?? configuration.port }
    }

    /// The number of connections open right now.
    public var connectionCount: Int {
        state.withLock { $0.connections.count }
    }

    /// Listens and serves until a graceful shutdown completes (or the task is cancelled).
    ///
    /// A connection gets a task only when a request needs one (see ``ImmediateResponder``); `run()` returns once every
    /// connection has closed.
    public func run() async throws {
        let serverChannel: NIOAsyncChannel<any Channel, Never>
        do {
            serverChannel = try await bind()
        } catch {
            state.withLock { $0.phase = .stopped }
            finishWaiters(with: .failure(error))
            throw error
        }
        let address = serverChannel.channel.localAddress
        let alreadyStopping: Bool = state.withLock { state in
            if case .idle = state.phase {
                state.phase = .running(serverChannel.channel)
                return false
            }
            return true
        }
        if let address { finishWaiters(with: .success(address)) }
        logger.info("HTTP server listening", metadata: ["address": "\(address.map { "\($0)" } ?? "?")"])
        if alreadyStopping { serverChannel.channel.close(promise: nil) }
        if let address, let onServerRunning { await onServerRunning(address) }

        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withDiscardingTaskGroup { group in
                    group.addTask { await self.accept(serverChannel) }
                    // Ends once the listener closed and every connection with it (or when cancelled).
                    for await (connection, handoff) in taskRequests {
                        group.addTask { await self.serve(connection, handoff: handoff) }
                    }
                }
            } onCancel: {
                // Connections without a task have nobody to cancel: closed here (the others' tasks close theirs).
                self.taskRequester.finish()
                for connection in self.state.withLock({ Array($0.connections.values) }) {
                    connection.close(promise: nil)
                }
            }
        } onGracefulShutdown: {
            self.triggerGracefulShutdown()
        }
        state.withLock { state in
            state.phase = .stopped
            state.forceClose?.cancel()
            state.forceClose = nil
        }
        finishWaiters(with: .failure(HTTPServerStopped()))
        logger.info("HTTP server stopped")
    }

    /// Begins a graceful shutdown (what a `ServiceGroup` does on SIGTERM); `run()` returns once it is done.
    public func triggerGracefulShutdown() {
        let (listener, connections): ((any Channel)?, [any Channel]) = state.withLock { state in
            guard case .running(let channel) = state.phase else {
                if case .idle = state.phase { state.phase = .shuttingDown }
                return (nil, [])
            }
            state.phase = .shuttingDown
            return (channel, Array(state.connections.values))
        }
        shutdownSignal.trigger()
        guard let listener else { return }
        logger.info("HTTP server shutting down", metadata: ["connections": "\(connections.count)"])
        listener.close(promise: nil)
        for connection in connections {
            connection.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        let timer = listener.eventLoop.scheduleTask(in: TimeAmount(configuration.shutdownTimeout)) { [self] in
            let left = state.withLock { Array($0.connections.values) }
            if !left.isEmpty { logger.warning("HTTP server cutting \(left.count) connections at shutdown timeout") }
            for connection in left { connection.close(promise: nil) }
        }
        state.withLock { $0.forceClose = timer }
    }

    /// Accepts connections until the listener closes (each is registered as its pipeline is made), then lets `run()`
    /// end once every connection has closed.
    private func accept(_ serverChannel: NIOAsyncChannel<any Channel, Never>) async {
        do {
            try await serverChannel.executeThenClose { inbound in
                for try await _ in inbound {}
            }
        } catch is CancellationError {
            // The task running the server was cancelled (a ServiceGroup stopping it): a normal end.
            logger.debug("HTTP server stopped accepting: cancelled")
        } catch {
            logger.error("HTTP server stopped accepting", metadata: ["error": "\(error)"])
        }
        let drained = state.withLock { state in
            state.acceptEnded = true
            return state.connections.isEmpty
        }
        if drained { taskRequester.finish() }
    }

    /// Starts the task that answers `channel`'s requests from now on (with those of its requests the event loop
    /// hands it); called on the channel's event loop, once per connection, before the first such request is passed
    /// on. NIO's HTTP handlers for the task's side go in after `responder` (a connection answered only on its event
    /// loop has none: fewer handlers for each read and write to pass, and less memory), and the task answers through
    /// the async channel made here.
    func startTask(
        for channel: any Channel, after responder: ImmediateResponder, guardian: ConnectionGuard,
        handoff: ConnectionHandoff
    ) {
        do {
            try channel.pipeline.syncOperations.addHandlers(
                [
                    HTTPResponseEncoder(configuration: .init()), guardian.partsHandler, HTTPServerPipelineHandler(),
                    HTTPServerProtocolErrorHandler(),
                ],
                position: .after(responder))
            let connection = try Connection(wrappingChannelSynchronously: channel)
            startedTasks.add(1, ordering: .relaxed)
            if case .terminated = taskRequester.yield((connection, handoff)) { channel.close(promise: nil) }
        } catch {
            logger.debug("connection could not start its task", metadata: ["error": "\(error)"])
            channel.close(promise: nil)
        }
    }

    private func finishWaiters(with result: Result<SocketAddress, any Error>) {
        let waiters = state.withLock { state in
            if case .success(let address) = result { state.address = address }
            defer { state.addressWaiters = [] }
            return state.addressWaiters
        }
        for waiter in waiters { waiter.resume(with: result) }
    }

    /// Counts `channel` among the open connections until it closes; false (and it is closed) when the server no
    /// longer runs.
    private func register(_ channel: any Channel) {
        let running = state.withLock { state in
            state.connections[ObjectIdentifier(channel)] = channel
            if case .running = state.phase { return true }
            return false
        }
        channel.closeFuture.whenComplete { _ in self.unregister(channel) }
        if !running { channel.close(promise: nil) }
    }

    private func unregister(_ channel: any Channel) {
        let drained = state.withLock { state in
            state.connections.removeValue(forKey: ObjectIdentifier(channel))
            return state.acceptEnded && state.connections.isEmpty
        }
        if drained { taskRequester.finish() }
    }

    /// Receive buffer sizes for connections: 512 bytes first (a request head fits), growing for bodies.
    static let receiveBuffers = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536)

    private func bind() async throws -> NIOAsyncChannel<any Channel, Never> {
        let sslContext = try configuration.tls.map { tls in
            let chain = try NIOSSLCertificate.fromPEMFile(tls.certificatePath).map {
                NIOSSLCertificateSource.certificate($0)
            }
            let key = try NIOSSLPrivateKey(file: tls.privateKeyPath, format: .pem)
            var server = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            // BoringSSL still speaks TLS 1.0 and 1.1 unless told otherwise; both are deprecated (RFC 8996).
            switch tls.minimumVersion {
            case .tls12: server.minimumTLSVersion = .tlsv12
            case .tls13: server.minimumTLSVersion = .tlsv13
            }
            return try NIOSSLContext(configuration: server)
        }
        let limits = ConnectionGuard.Limits(
            headerRead: TimeAmount(configuration.headerReadTimeout),
            request: configuration.requestTimeout.map(TimeAmount.init),
            idle: TimeAmount(configuration.idleTimeout),
            maxHeaderBytes: configuration.maxHeaderSize,
            bodyRead: configuration.bodyReadTimeout.map(TimeAmount.init),
            minimumBodyRate: configuration.minimumBodyRate,
            onTimeout: configuration.onTimeout
        )
        let maxConnections = configuration.maxConnections
        return try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: Int32(configuration.backlog))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ConnectionLimitHandler(maxConnections: maxConnections))
                }
            }
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            // Without TLS the peer's EOF comes as `ChannelEvent.inputClosed` instead of NIO closing the connection
            // at once (failing writes not yet flushed): the guard's first handler flushes, then closes
            // (`ConnectionGuard.RawBytes`), so answers held for the end of the round go out. Not with TLS: NIOSSL
            // with half-closure would wait out its shutdown timer on every close; answers are flushed at once there.
            .childChannelOption(.allowRemoteHalfClosure, value: sslContext == nil)
            // Each connection keeps its last receive buffer for reuse; NIO's default first size (2 KiB) is mostly
            // empty for the few hundred bytes of a long-poll request. Larger reads still grow it.
            .childChannelOption(.recvAllocator, value: Self.receiveBuffers)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let sslContext { try sync.addHandler(NIOSSLServerHandler(context: sslContext)) }
                    let guardian = ConnectionGuard(limits: limits)
                    try sync.addHandler(guardian.rawBytesHandler)
                    try sync.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
                    // After the decoder: it reads request parts and writes whole answers as bytes (see
                    // ImmediateResponder); what it passes on meets NIO's HTTP handlers (encoder, pipeline and protocol
                    // error handlers, added with the connection's task by `startTask`) as before. The decoder must
                    // stay unpaired with the encoder (no `HTTPRequestDecoder(responseEncoder:)`): a paired encoder
                    // queues every request's method and would match it to the wrong answer.
                    try sync.addHandler(
                        ImmediateResponder(
                            server: self, guardian: guardian, handoff: ConnectionHandoff(),
                            flushesAtRoundEnd: sslContext == nil))
                    try sync.addHandler(ConnectionErrorCloser())
                    // The task's handlers and the async channel come when a request needs the task (`startTask`).
                    self.register(channel)
                    return channel
                }
            }
    }
}

/// Thrown by `localAddress` when the server is not (or no longer) listening.
struct HTTPServerStopped: Error, CustomStringConvertible {
    var description: String { "the HTTP server is not listening" }
}
