import Logging
import NIOCore
import NIOPosix

/// What a handler gets besides the request: a logger, the connection's event loop and the shutdown signal.
///
/// One pointer wide (the values live in a shared, immutable box): every async frame between the server and a handler
/// holds a copy of the context for as long as a long poll waits, so its size counts once per frame per request.
public struct RequestContext: Sendable {
    private final class Storage: Sendable {
        let logger: Logger
        /// Added to `logger` as `request_id` metadata when read, so that a waiting request holds no metadata copy.
        let requestID: UInt64?
        let eventLoop: any EventLoop
        let shutdownSignal: ShutdownSignal
        let remoteAddress: SocketAddress?
        /// `remoteAddress`'s IP address as text, when the server made it once for the connection.
        let remoteIP: String?
        let connectionClosed: EventLoopFuture<Void>?

        init(
            logger: Logger,
            requestID: UInt64? = nil,
            eventLoop: any EventLoop,
            shutdownSignal: ShutdownSignal,
            remoteAddress: SocketAddress?,
            remoteIP: String? = nil,
            connectionClosed: EventLoopFuture<Void>?
        ) {
            self.logger = logger
            self.requestID = requestID
            self.eventLoop = eventLoop
            self.shutdownSignal = shutdownSignal
            self.remoteAddress = remoteAddress
            self.remoteIP = remoteIP
            self.connectionClosed = connectionClosed
        }
    }

    private var storage: Storage

    /// A logger with `request_id` metadata; handlers log through it.
    ///
    /// The server adds the metadata each time this is read (a request waiting in a long poll then holds no logger
    /// copy of its own); keep it in a local when logging many lines.
    public var logger: Logger {
        get {
            guard let id = storage.requestID else { return storage.logger }
            var logger = storage.logger
            logger[metadataKey: "request_id"] = .stringConvertible(id)
            return logger
        }
        set {
            storage = Storage(
                logger: newValue, eventLoop: eventLoop, shutdownSignal: shutdownSignal, remoteAddress: remoteAddress,
                remoteIP: storage.remoteIP, connectionClosed: connectionClosed)
        }
    }
    /// The event loop of the connection (timers for long polls run here).
    public var eventLoop: any EventLoop { storage.eventLoop }
    /// Fires when the server begins a graceful shutdown.
    public var shutdownSignal: ShutdownSignal { storage.shutdownSignal }
    /// The peer's address, when known.
    public var remoteAddress: SocketAddress? {
        get { storage.remoteAddress }
        set {
            storage = Storage(
                logger: storage.logger, requestID: storage.requestID, eventLoop: eventLoop,
                shutdownSignal: shutdownSignal, remoteAddress: newValue,
                connectionClosed: connectionClosed)
        }
    }
    /// The peer's IP address as text (`SocketAddress.ipAddress`), when known. A connection answered on its event
    /// loop makes the text once for all its requests; otherwise it is made when read.
    public var remoteIP: String? { storage.remoteIP ?? storage.remoteAddress?.ipAddress }
    /// Completes when the connection closes (a long poll then stops waiting).
    var connectionClosed: EventLoopFuture<Void>? { storage.connectionClosed }

    /// Creates a context; the server makes one per request, tests may make their own.
    public init(
        logger: Logger,
        eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.any(),
        shutdownSignal: ShutdownSignal = ShutdownSignal(),
        remoteAddress: SocketAddress? = nil
    ) {
        self.init(
            logger: logger, eventLoop: eventLoop, shutdownSignal: shutdownSignal, remoteAddress: remoteAddress,
            connectionClosed: nil)
    }

    init(
        logger: Logger,
        requestID: UInt64? = nil,
        eventLoop: any EventLoop,
        shutdownSignal: ShutdownSignal,
        remoteAddress: SocketAddress?,
        remoteIP: String? = nil,
        connectionClosed: EventLoopFuture<Void>?
    ) {
        storage = Storage(
            logger: logger, requestID: requestID, eventLoop: eventLoop, shutdownSignal: shutdownSignal,
            remoteAddress: remoteAddress, remoteIP: remoteIP,
            connectionClosed: connectionClosed)
    }

    /// Whether the server is shutting down (a handler should answer rather than start waiting).
    public var isShuttingDown: Bool { shutdownSignal.isTriggered }

    /// Waits for `notifier` to publish (after `since`, if given), the deadline, or the server's shutdown.
    ///
    /// The cheap long-poll primitive: one continuation and one timer per waiting request.
    public func wait(
        for notifier: Notifier,
        since: Notifier.Generation? = nil,
        until deadline: ContinuousClock.Instant
    ) async -> WakeReason {
        await notifier.wait(
            since: since, until: deadline, shutdown: shutdownSignal, closed: connectionClosed, on: eventLoop)
    }

    /// Waits until `condition` returns, the deadline passes, or the server shuts down, whichever is first.
    ///
    /// `condition` is cancelled when the wait ends for another reason. Costs a few tasks per waiter; prefer
    /// `wait(for: Notifier, ...)` for thousands of long polls.
    public func wait(
        until deadline: ContinuousClock.Instant,
        for condition: @escaping @Sendable () async throws -> Void
    ) async -> WakeReason {
        let shutdown = shutdownSignal
        return await withTaskGroup(of: WakeReason?.self) { group in
            group.addTask {
                do {
                    try await condition()
                    return .event
                } catch {
                    return Task.isCancelled ? nil : .event
                }
            }
            group.addTask {
                do {
                    try await Task.sleep(until: deadline, clock: .continuous)
                    return .deadline
                } catch {
                    return nil
                }
            }
            group.addTask {
                await shutdown.wait()
                return Task.isCancelled ? nil : .shutdown
            }
            var reason = WakeReason.cancelled
            for await result in group {
                if let result {
                    reason = result
                    break
                }
            }
            group.cancelAll()
            return reason
        }
    }
}
