import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

extension HTTPServer {
    /// Answers the requests of one connection, in order, until the peer closes or keep-alive ends.
    ///
    /// This frame and the ones below it stay allocated for the life of the connection (a task keeps its deepest
    /// task-allocator slabs), so the work is split into small functions.
    func serve(_ connection: Connection, handoff: ConnectionHandoff) async {
        let channel = connection.channel
        do {
            try await connection.executeThenClose { inbound, outbound in
                try await answerRequests(
                    RequestPartReader(inbound.makeAsyncIterator()), outbound: outbound, channel: channel,
                    handoff: handoff)
            }
        } catch {
            logConnectionError(error)
        }
    }

    /// The loop of one connection: each request head, answered in turn.
    @inline(never)
    private func answerRequests(
        _ reader: RequestPartReader,
        outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
        channel: any Channel,
        handoff: ConnectionHandoff
    ) async throws {
        while let head = try await reader.nextHead() {
            let keepAlive = try await answer(
                head, reader: reader, outbound: outbound, channel: channel, handoff: handoff)
            if !keepAlive {
                if !reader.bodyFinished { try await lingeringClose(channel, reader: reader) }
                break
            }
        }
    }

    @inline(never)
    private func logConnectionError(_ error: any Error) {
        logger.debug("connection ended with an error", metadata: ["error": "\(error)"])
    }

    /// Closes our side, then reads and drops the client's unread body for a moment, so that the client reads our
    /// answer (e.g. a 413) instead of a connection reset.
    private func lingeringClose(_ channel: any Channel, reader: RequestPartReader) async throws {
        try? await channel.close(mode: .output)
        let closer = channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
        defer { closer.cancel() }
        while (try? await reader.discardPart()) == true {}
    }

    /// Answers one request; returns whether the connection stays open.
    ///
    /// Kept small on purpose: while a long poll waits, this frame and the router's are held per request, and a
    /// connection's task keeps the deepest frames it ever had. Building the request and writing the answer happen
    /// in functions whose frames exist only while they run.
    private func answer(
        _ head: HTTPRequestHead,
        reader: RequestPartReader,
        outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
        channel: any Channel,
        handoff: ConnectionHandoff
    ) async throws -> Bool {
        let start = ContinuousClock.now
        let (request, context) = makeRequest(head, reader: reader, outbound: outbound, channel: channel)
        let (response, route): (HTTPResponse, String?)
        if let handed = handoff.take() {
            // A long poll the event loop waited for: its answer is made here (see ConnectionHandoff).
            (response, route) = (await handed.make(), handed.route)
        } else {
            (response, route) = await router.dispatch(request, context: context)
        }
        return try await finish(
            head, response: response, route: route, start: start, logger: context.logger, reader: reader,
            outbound: outbound, channel: channel)
    }

    /// The request and context a handler sees.
    private func makeRequest(
        _ head: HTTPRequestHead,
        reader: RequestPartReader,
        outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
        channel: any Channel
    ) -> (HTTPRequest, RequestContext) {
        let id = requestCounter.wrappingAdd(1, ordering: .relaxed).newValue
        let body: RequestBody
        // A request without Content-Length or Transfer-Encoding has no body (RFC 9112 6.3): nothing to stream.
        if head.headers.contains(name: "content-length") || head.headers.contains(name: "transfer-encoding") {
            if head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                let version = head.version
                reader.beforeFirstRead = {
                    try await outbound.write(.head(HTTPResponseHead(version: version, status: .continue)))
                }
            } else {
                reader.beforeFirstRead = nil
            }
            body = RequestBody(source: BodyChunkSource { try await reader.nextBodyChunk() })
        } else {
            reader.beforeFirstRead = nil
            reader.expectNoBody()
            body = .absent
        }
        let request = HTTPRequest(
            method: head.method, uri: head.uri, headers: head.headers, version: head.version, body: body)
        let context = RequestContext(
            logger: logger,
            requestID: id,
            eventLoop: channel.eventLoop,
            shutdownSignal: shutdownSignal,
            remoteAddress: channel.remoteAddress,
            connectionClosed: channel.closeFuture
        )
        return (request, context)
    }

    /// Drains what the handler left of the body, writes the response and logs it; returns whether the connection
    /// stays open.
    @inline(never)
    private func finish(
        _ head: HTTPRequestHead,
        response: HTTPResponse,
        route: String?,
        start: ContinuousClock.Instant,
        logger requestLogger: Logger,
        reader: RequestPartReader,
        outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
        channel: any Channel
    ) async throws -> Bool {
        var keepAlive = head.isKeepAlive
        do {
            if !(try await reader.drainBody(maxBytes: RequestBody.defaultLimit)) { keepAlive = false }
        } catch {
            if !reader.protocolErrorAnswered { throw error }
        }
        if reader.protocolErrorAnswered {
            // NIO's protocol error handler answered 400 already (a second answer would corrupt the stream); the
            // router saw the same 400, so the log and the metrics agree with the wire.
            if let level = configuration.accessLogLevel {
                logAccess(
                    head, status: .badRequest, bytes: 0, route: route, start: start, level: level,
                    logger: requestLogger, channel: channel)
            }
            return false
        }
        if shutdownSignal.isTriggered { keepAlive = false }
        let (status, bytes, staysOpen) = try await ResponseWriter.write(
            response,
            for: head,
            keepAlive: keepAlive,
            outbound: outbound,
            channel: channel,
            sendfile: configuration.tls == nil,
            logger: requestLogger
        )
        if let level = configuration.accessLogLevel {
            logAccess(
                head, status: status, bytes: bytes, route: route, start: start, level: level, logger: requestLogger,
                channel: channel)
        }
        return staysOpen
    }
}

extension HTTPServer {
    /// The one-line access log (synchronous, so its strings never sit in an async frame).
    @inline(never)
    func logAccess(
        _ head: HTTPRequestHead,
        status: HTTPResponseStatus,
        bytes: Int,
        route: String?,
        start: ContinuousClock.Instant,
        level: Logger.Level,
        logger: Logger,
        channel: any Channel
    ) {
        let elapsed = start.duration(to: .now)
        logger.log(
            level: level,
            "\(head.method.rawValue) \(Redaction.elidingUserinfo(in: head.uri)) \(status.code)",
            metadata: [
                "remote": "\(channel.remoteAddress?.ipAddress ?? "-")",
                "bytes": "\(bytes)",
                "ms": "\(elapsed.milliseconds)",
                "route": "\(route ?? "-")",
            ]
        )
    }
}

extension Duration {
    /// Milliseconds with three decimals, for logs.
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return (Double(seconds) * 1_000_000 + Double(attoseconds / 1_000_000_000_000)) / 1_000
    }
}
