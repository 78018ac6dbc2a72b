import NIOCore
import Synchronization

/// A long poll's answer that the event loop hands to the connection's task: the wait ended, and making the answer
/// must suspend (``HTTPResponse/afterWait(for:since:until:immediately:otherwise:)``'s `otherwise`).
///
/// The event loop puts it here, then passes the request's head on; the task takes it when it reads that head and
/// answers with it instead of routing the request again. Nothing else is in flight on the connection then (the event
/// loop answers a request only when every earlier one has its answer), so the head it reads next is that request's.
final class ConnectionHandoff: Sendable {
    /// Makes the answer (observed by the router's middleware already) and names the route, for the access log.
    struct Answer: Sendable {
        let make: @Sendable () async -> HTTPResponse
        let route: String
    }

    private let slot = Mutex<Answer?>(nil)

    init() {}

    /// Leaves `make` for the task's next request.
    func put(_ make: @escaping @Sendable () async -> HTTPResponse, route: String) {
        slot.withLock { $0 = Answer(make: make, route: route) }
    }

    /// The answer left for the request just read, if any (once).
    func take() -> Answer? {
        slot.withLock { $0.take() }
    }
}

/// The last handler of a connection's pipeline until it has a task: closes the connection on an error nobody
/// handled (the task's side closes it then too). NIO's protocol error handler, before it, has answered a malformed
/// request with 400 by then.
final class ConnectionErrorCloser: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Any

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }
}
