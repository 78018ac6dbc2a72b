import HTTPCore
import HTTPCoreTesting
import Logging
import NIOCore
import Testing

/// Routes added with `synchronous(_:_:maxBodyBytes:_:)` are answered on the connection's event loop (no task hop) when every middleware
/// is synchronous too, and answer exactly as the async path would otherwise.
@Suite(.timeLimit(.minutes(3))) struct SynchronousRouteTests {
    /// Records each request's route and status, on both paths.
    struct Recording: SynchronousHTTPMiddleware {
        let log: Recorder

        func handle(_ request: HTTPRequest, context: RequestContext, next: Next) async throws -> HTTPResponse {
            let response = try await next(request, context)
            log.record("async \(request.route ?? "-") \(response.status.code)")
            return response
        }

        func handleSynchronously(
            _ request: HTTPRequest,
            context: RequestContext,
            next: (HTTPRequest, RequestContext) throws -> HTTPResponse
        ) throws -> HTTPResponse {
            let response = try next(request, context)
            log.record("sync \(request.route ?? "-") \(response.status.code)")
            return response
        }
    }

    /// A middleware with only the async entry point: synchronous routes then answer through the task.
    struct AsyncOnly: HTTPMiddleware {
        func handle(_ request: HTTPRequest, context: RequestContext, next: Next) async throws -> HTTPResponse {
            try await next(request, context)
        }
    }

    /// A middleware that refuses a request before the handler runs.
    struct Refusing: SynchronousHTTPMiddleware {
        func handle(_ request: HTTPRequest, context: RequestContext, next: Next) async throws -> HTTPResponse {
            if request.headers.contains(name: "x-refuse") {
                throw HTTPError(.forbidden, error: "refused", detail: "no")
            }
            return try await next(request, context)
        }

        func handleSynchronously(
            _ request: HTTPRequest,
            context: RequestContext,
            next: (HTTPRequest, RequestContext) throws -> HTTPResponse
        ) throws -> HTTPResponse {
            if request.headers.contains(name: "x-refuse") {
                throw HTTPError(.forbidden, error: "refused", detail: "no")
            }
            return try next(request, context)
        }
    }

    static func makeRouter(log: Recorder = Recorder(), asyncMiddleware: Bool = false) -> Router {
        var router = Router()
        router.add(middleware: Recording(log: log))
        router.add(middleware: Refusing())
        if asyncMiddleware { router.add(middleware: AsyncOnly()) }
        router.synchronous(.GET, "/where/:name") { request, context in
            HTTPResponse(
                text: "\(request.parameters["name"] ?? "?") loop=\(context.eventLoop.inEventLoop) "
                    + "q=\(request.query["q"] ?? "-")")
        }
        router.get("/where-async") { _, context in
            HTTPResponse(text: "loop=\(context.eventLoop.inEventLoop)")
        }
        router.synchronous(.GET, "/body", maxBodyBytes: 16) { request, _ in
            HTTPResponse(text: "body=\(String(buffer: request.body.buffer ?? ByteBuffer()))")
        }
        router.synchronous(.POST, "/post-body") { request, _ in
            HTTPResponse(text: "posted=\(request.body.buffer?.readableBytes ?? -1)")
        }
        router.synchronous(.GET, "/teapot") { _, _ in
            throw HTTPError(.imATeapot, error: "teapot", detail: "short and stout")
        }
        router.synchronous(.GET, "/streams") { _, _ in .stream { writer in try await writer.write("x") } }
        router.synchronous(.GET, "/empty") { _, _ in HTTPResponse(status: .noContent) }
        router.synchronous(.GET, "/plain") { _, context in
            HTTPResponse(text: "plain loop=\(context.eventLoop.inEventLoop)")
        }
        router.synchronous(.GET, "/status/:code") { request, _ in try Self.statusResponse(request) }
        router.get("/status-async/:code") { request, _ in try Self.statusResponse(request) }
        router.synchronous(.GET, "/framed") { _, _ in try Self.framedResponse() }
        router.get("/framed-async") { _, _ in try Self.framedResponse() }
        router.synchronous(.GET, "/replaced") { _, _ in HTTPResponse(text: "first") }
        router.get("/replaced") { _, _ in HTTPResponse(text: "second") }
        return router
    }

    /// The same answer on both paths: status from the path, a header of its own, a short body.
    static func statusResponse(_ request: HTTPRequest) throws -> HTTPResponse {
        let code = Int(request.parameters["code"] ?? "") ?? 500
        return HTTPResponse(status: .init(statusCode: code), headers: ["x-own": "1"], text: "hi")
    }

    /// An answer whose handler set the framing headers itself (a wrong length, a second one, and `Connection`).
    static func framedResponse() throws -> HTTPResponse {
        HTTPResponse(
            headers: ["Content-Length": "99", "x-own": "1", "content-length": "7", "Connection": "Close"], text: "hi")
    }

    static func body(_ response: String) -> String {
        response.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
    }

    @Test func aSynchronousRouteIsAnsweredOnTheEventLoopAndAnAsyncRouteIsNot() async throws {
        try await withTestServer(Self.makeRouter()) { _, port in
            let (text, _) = try await RawConnection.exchange(
                port: port,
                sending:
                    "GET /where/here?q=a%20b HTTP/1.1\r\nHost: x\r\n\r\nGET /where-async HTTP/1.1\r\nHost: x\r\n\r\n"
            ) { completeResponses(in: $0).count == 2 }
            let responses = completeResponses(in: text)
            #expect(responses.map(Self.body) == ["here loop=true q=a b", "loop=false"])
            #expect(responses[0].hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(responses[0].lowercased().contains("content-length: 20\r\n"))
            #expect(responses[0].lowercased().contains("content-type: text/plain; charset=utf-8\r\n"))
        }
    }

    @Test func literalPathsWrittenAnotherWayAndReplacedRoutesAnswerAsTheRouterMatches() async throws {
        try await withTestServer(Self.makeRouter()) { _, port in
            let (text, _) = try await RawConnection.exchange(
                port: port,
                sending: "GET /plain HTTP/1.1\r\nHost: x\r\n\r\n" + "GET /pl%61in HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET //plain/ HTTP/1.1\r\nHost: x\r\n\r\n" + "GET /replaced HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "POST /plain HTTP/1.1\r\nHost: x\r\ncontent-length: 0\r\n\r\n"
            ) { completeResponses(in: $0).count == 5 }
            let responses = completeResponses(in: text)
            #expect(
                responses.prefix(4).map(Self.body) == [
                    "plain loop=true", "plain loop=true", "plain loop=true", "second",
                ])
            #expect(responses.last?.hasPrefix("HTTP/1.1 405") == true)
        }
    }

    /// With only literal synchronous routes (the server's case), a path that misses the literal table is not
    /// matched on the event loop, unless it may still be a literal route written another way.
    @Test func withOnlyLiteralSynchronousRoutesAPathWrittenAnotherWayIsStillAnsweredOnTheEventLoop() async throws {
        var router = Router()
        router.synchronous(.GET, "/plain") { _, context in
            HTTPResponse(headers: ["x-loop": "\(context.eventLoop.inEventLoop)"], text: "plain")
        }
        router.get("/items/:name") { request, context in
            HTTPResponse(
                headers: ["x-loop": "\(context.eventLoop.inEventLoop)"], text: request.parameters["name"] ?? "?")
        }
        try await withTestServer(router) { _, port in
            let requests = [
                "GET /plain", "GET /pl%61in", "GET //plain", "GET /plain/", "GET /plain?x=1", "GET /items/a%20b",
            ]
            let (text, _) = try await RawConnection.exchange(
                port: port, sending: requests.map { "\($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined()
            ) { completeResponses(in: $0).count == requests.count }
            let responses = completeResponses(in: text)
            #expect(responses.map(Self.body) == ["plain", "plain", "plain", "plain", "plain", "a b"])
            #expect(
                responses.map { $0.lowercased().contains("x-loop: true\r\n") } == [true, true, true, true, true, false])
            let (head, _) = try await RawConnection.exchange(
                port: port, sending: "HEAD /plain HTTP/1.1\r\nHost: x\r\n\r\n"
            ) { $0.hasSuffix("\r\n\r\n") }
            #expect(head.lowercased().contains("x-loop: true\r\n"))
            #expect(head.lowercased().contains("content-length: 5\r\n"))
        }
    }

    @Test(arguments: ["GET", "HEAD"], ["200", "201", "204", "304", "404", "599"])
    func theEventLoopWritesTheBytesTheTaskWrites(method: String, code: String) async throws {
        try await withTestServer(Self.makeRouter()) { _, port in
            func exchange(_ path: String, close: Bool) async throws -> String {
                let connection = close ? "connection: close\r\n" : ""
                return try await RawConnection.exchange(
                    port: port, sending: "\(method) \(path) HTTP/1.1\r\nHost: x\r\n\(connection)\r\n"
                ) { text in text.hasSuffix("\r\n\r\n") || text.hasSuffix("\r\n\r\nhi") }.text
            }
            for close in [false, true] {
                let immediate = try await exchange("/status/\(code)", close: close)
                let task = try await exchange("/status-async/\(code)", close: close)
                #expect(immediate == task, "\(method) \(code) close: \(close)")
                #expect(immediate.hasPrefix("HTTP/1.1 \(code) "))
            }
        }
    }

    /// A handler that sets `Content-Length` or `Connection` itself is framed by the task's rules on the event loop too.
    @Test func framingHeadersAHandlerSetAreReplacedAsTheTaskReplacesThem() async throws {
        try await withTestServer(Self.makeRouter()) { _, port in
            for (version, method) in [("1.1", "GET"), ("1.0", "GET"), ("1.1", "HEAD")] {
                func exchange(_ path: String) async throws -> String {
                    try await RawConnection.exchange(
                        port: port, sending: "\(method) \(path) HTTP/\(version)\r\nHost: x\r\n\r\n"
                    ) { text in text.hasSuffix("\r\n\r\n") || text.hasSuffix("\r\n\r\nhi") }.text
                }
                let immediate = try await exchange("/framed")
                let task = try await exchange("/framed-async")
                #expect(immediate == task, "\(method) HTTP/\(version)")
                #expect(immediate.lowercased().contains("content-length: 2\r\n"))
                #expect(!immediate.contains("99"))
                #expect(immediate.lowercased().contains("connection: close\r\n"))
            }
        }
    }

    @Test func aMiddlewareWithoutASynchronousEntryMakesSynchronousRoutesAnswerThroughTheTask() async throws {
        try await withTestServer(Self.makeRouter(asyncMiddleware: true)) { _, port in
            let (text, _) = try await RawConnection.exchange(
                port: port, sending: "GET /where/there HTTP/1.1\r\nHost: x\r\n\r\n"
            ) { completeResponses(in: $0).count == 1 }
            #expect(completeResponses(in: text).map(Self.body) == ["there loop=false q=-"])
        }
    }

    @Test func theMiddlewareRunsAroundASynchronousRouteAndSeesRenderedErrors() async throws {
        let log = Recorder()
        try await withTestServer(Self.makeRouter(log: log)) { _, port in
            let (text, _) = try await RawConnection.exchange(
                port: port,
                sending: "GET /where/a HTTP/1.1\r\nHost: x\r\n\r\n" + "GET /teapot HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /where/b HTTP/1.1\r\nHost: x\r\nx-refuse: 1\r\n\r\n"
                    + "GET /where-async HTTP/1.1\r\nHost: x\r\n\r\n"
            ) { completeResponses(in: $0).count == 4 }
            let responses = completeResponses(in: text)
            #expect(
                responses.map { String($0.prefix(12)) } == [
                    "HTTP/1.1 200", "HTTP/1.1 418", "HTTP/1.1 403", "HTTP/1.1 200",
                ])
            #expect(Self.body(responses[1]).contains("short and stout"))
            #expect(Self.body(responses[2]).contains("\"refused\""))
        }
        // A handler's error is rendered before the middleware sees it (the 418); a middleware's error passes the ones
        // outside it and is rendered at the end (the 403 the recorder never sees), as on the async path.
        #expect(log.entries == ["sync /where/:name 200", "sync /teapot 418", "async /where-async 200"])
    }

    @Test func aGetWithAJSONBodyIsCollectedBeforeTheHandlerRuns() async throws {
        try await withTestServer(Self.makeRouter()) { _, port in
            let json = #"{"a": 1}"#
            let (text, _) = try await RawConnection.exchange(
                port: port,
                sending: "GET /body HTTP/1.1\r\nHost: x\r\ncontent-length: \(json.utf8.count)\r\n\r\n\(json)"
                    + "POST /post-body HTTP/1.1\r\nHost: x\r\ncontent-length: 0\r\n\r\n"
                    + "GET /body HTTP/1.1\r\nHost: x\r\n\r\n"
            ) { completeResponses(in: $0).count == 3 }
            #expect(completeResponses(in: text).map(Self.body) == ["body=\(json)", "posted=0", "body="])
        }
    }

    @Test func aBodySentInPiecesIsCollectedWhole() async throws {
        try await withTestServer(Self.makeRouter()) { _, port in
            let connection = try await RawConnection.connect(port: port)
            try await connection.channel.executeThenClose { inbound, outbound in
                try await outbound.write(
                    ByteBuffer(string: "GET /body HTTP/1.1\r\nHost: x\r\ncontent-length: 6\r\n\r\nab"))
                try await Task.sleep(for: .milliseconds(50))
                try await outbound.write(ByteBuffer(string: "cd"))
                try await Task.sleep(for: .milliseconds(50))
                try await outbound.write(ByteBuffer(string: "ef"))
                var text = ""
                var iterator = inbound.makeAsyncIterator()
                try await readResponses(from: &iterator, into: &text)
                #expect(completeResponses(in: text).map(Self.body) == ["body=abcdef"])
            }
        }
    }

    @Test func bodiesTheEventLoopDoesNotTakeAreAnsweredThroughTheTaskInOrder() async throws {
        // Over the limit (413), chunked, and Expect: 100-continue go to the task; answers stay in request order.
        try await withTestServer(Self.makeRouter()) { _, port in
            let requests =
                "GET /where/1 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /body HTTP/1.1\r\nHost: x\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
                + "GET /where/2 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /body HTTP/1.1\r\nHost: x\r\ncontent-length: 17\r\n\r\n12345678901234567"
            let (text, closed) = try await RawConnection.exchange(port: port, sending: requests) {
                completeResponses(in: $0).count == 4
            }
            let responses = completeResponses(in: text)
            #expect(responses.count == 4, "closed early: \(closed)")
            guard responses.count == 4 else { return }
            #expect(Self.body(responses[0]) == "1 loop=true q=-")
            #expect(Self.body(responses[1]) == "body=abcde")
            // Read behind a request the task answers, it is answered after it, by the task if it came in the same
            // read (which is up to the kernel), else on the event loop.
            #expect(Self.body(responses[2]).hasPrefix("2 loop="))
            #expect(responses[3].hasPrefix("HTTP/1.1 413"))
        }
        try await withTestServer(Self.makeRouter()) { _, port in
            let connection = try await RawConnection.connect(port: port)
            try await connection.channel.executeThenClose { inbound, outbound in
                try await outbound.write(
                    ByteBuffer(
                        string: "GET /body HTTP/1.1\r\nHost: x\r\ncontent-length: 2\r\nexpect: 100-continue\r\n\r\n"))
                var text = ""
                var iterator = inbound.makeAsyncIterator()
                while !text.contains("100 Continue\r\n\r\n"), let chunk = try await iterator.next() {
                    text += String(buffer: chunk)
                }
                try await outbound.write(ByteBuffer(string: "ok"))
                while !text.hasSuffix("body=ok"), let chunk = try await iterator.next() {
                    text += String(buffer: chunk)
                }
                #expect(text.hasPrefix("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"))
                #expect(text.hasSuffix("body=ok"))
            }
        }
    }

    @Test func headAndBodilessStatusesSendNoBody() async throws {
        try await withTestServer(Self.makeRouter()) { _, port in
            let (text, _) = try await RawConnection.exchange(
                port: port,
                sending: "HEAD /where/abc HTTP/1.1\r\nHost: x\r\n\r\nGET /empty HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /where/z HTTP/1.1\r\nHost: x\r\n\r\n"
            ) { $0.hasSuffix("z loop=true q=-") }
            let heads = text.components(separatedBy: "\r\n\r\n")
            #expect(heads.count == 4)
            #expect(heads[0].hasPrefix("HTTP/1.1 200 OK"))
            #expect(heads[0].lowercased().contains("content-length: 17"))
            #expect(heads[1].hasPrefix("HTTP/1.1 204 No Content"))
            #expect(!heads[1].lowercased().contains("content-length"))
            #expect(heads[3] == "z loop=true q=-")
        }
    }

    @Test func connectionCloseAndHTTP10EndTheConnectionAfterTheAnswer() async throws {
        try await withTestServer(Self.makeRouter()) { _, port in
            let (text, closed) = try await RawConnection.exchange(
                port: port,
                sending:
                    "GET /where/a HTTP/1.1\r\nHost: x\r\nconnection: close\r\n\r\nGET /where/b HTTP/1.1\r\nHost: x\r\n\r\n"
            )
            #expect(closed)
            #expect(completeResponses(in: text).map(Self.body) == ["a loop=true q=-"])
            #expect(text.lowercased().contains("connection: close\r\n"))

            let (old, oldClosed) = try await RawConnection.exchange(
                port: port, sending: "GET /where/c HTTP/1.0\r\n\r\n")
            #expect(oldClosed)
            #expect(old.hasPrefix("HTTP/1.0 200 OK\r\n"))
            #expect(old.hasSuffix("c loop=true q=-"))

            let (kept, keptClosed) = try await RawConnection.exchange(
                port: port, sending: "GET /where/d HTTP/1.0\r\nconnection: keep-alive\r\n\r\n"
            ) { completeResponses(in: $0).count == 1 }
            #expect(!keptClosed)
            #expect(kept.lowercased().contains("connection: keep-alive\r\n"))
        }
    }

    @Test func aSynchronousRouteThatAnswersWithAStreamIs500OnBothPaths() async throws {
        try await withTestServer(Self.makeRouter()) { _, port in
            let (text, _) = try await RawConnection.exchange(
                port: port, sending: "GET /streams HTTP/1.1\r\nHost: x\r\n\r\n"
            ) {
                completeResponses(in: $0).count == 1
            }
            #expect(text.hasPrefix("HTTP/1.1 500"))
        }
        let response = try await Self.makeRouter().test { client in try await client.execute(.GET, "/streams") }
        #expect(response.status == .internalServerError)
    }

    @Test func withoutASocketASynchronousRouteAnswersTheSame() async throws {
        let log = Recorder()
        let (response, tooLarge) = try await Self.makeRouter(log: log).test { client in
            (
                try await client.execute(.GET, "/body", body: "xyz"),
                try await client.execute(.GET, "/body", body: String(repeating: "a", count: 17))
            )
        }
        #expect(response.status == .ok)
        #expect(response.text == "body=xyz")
        #expect(tooLarge.status == .payloadTooLarge)
        #expect(log.entries == ["async /body 200", "async /body 413"])
    }

    @Test func aGracefulShutdownClosesAConnectionASynchronousRouteAnswered() async throws {
        try await withTestServer(Self.makeRouter()) { server, port in
            let connection = try await RawConnection.connect(port: port)
            try await connection.channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: "GET /where/a HTTP/1.1\r\nHost: x\r\n\r\n"))
                var iterator = inbound.makeAsyncIterator()
                var text = ""
                try await readResponses(from: &iterator, into: &text)
                #expect(Self.body(text) == "a loop=true q=-")
                server.triggerGracefulShutdown()
                // The idle keep-alive connection is closed: the stream ends.
                try await readToEnd(from: &iterator, into: &text)
                #expect(completeResponses(in: text).count == 1)
            }
        }
    }

    /// A graceful shutdown that begins while the event loop collects a synchronous route's body: that request is
    /// answered once its body is in, with `Connection: close`, and then the connection closes.
    @Test func aGracefulShutdownDuringABodyReadAnswersThatRequestThenCloses() async throws {
        let log = Recorder()
        try await withTestServer(Self.makeRouter(log: log)) { server, port in
            let connection = try await RawConnection.connect(port: port)
            try await connection.channel.executeThenClose { inbound, outbound in
                // One write: the server reads both in one go, so once the first answer is here the event loop has
                // also taken the second request's head (the shutdown below runs on that loop after it).
                try await outbound.write(
                    ByteBuffer(
                        string: "GET /where/a HTTP/1.1\r\nHost: x\r\n\r\n"
                            + "POST /post-body HTTP/1.1\r\nHost: x\r\ncontent-length: 10\r\n\r\n01234"))
                var iterator = inbound.makeAsyncIterator()
                var text = ""
                try await readResponses(from: &iterator, into: &text)
                #expect(Self.body(text) == "a loop=true q=-")
                server.triggerGracefulShutdown()
                try await outbound.write(ByteBuffer(string: "56789"))
                // The answer, then the end of the stream.
                try await readToEnd(from: &iterator, into: &text)
                let answers = completeResponses(in: text)
                #expect(answers.count == 2)
                let last = answers.last ?? ""
                #expect(Self.body(last) == "posted=10")
                #expect(last.lowercased().contains("connection: close"), "got: \(last)")
            }
        }
        #expect(log.entries == ["sync /where/:name 200", "sync /post-body 200"])
    }
}
