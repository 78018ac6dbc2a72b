import Foundation
import HTTPCore
import NIOCore
import Testing

@Suite(.timeLimit(.minutes(3))) struct ServerTests {
    static let notifier = Notifier()

    static func makeRouter(notifier: Notifier = ServerTests.notifier) -> Router {
        var router = Router()
        router.get("/hello") { _, _ in HTTPResponse(text: "hello") }
        router.get("/echo/:word") { request, _ in HTTPResponse(text: request.parameters["word"] ?? "") }
        router.post("/small", body: .collect(maxBytes: 1024)) { request, _ in
            HTTPResponse(text: "got \(request.body.buffer?.readableBytes ?? 0)")
        }
        router.get("/stream") { _, _ in
            .stream { writer in
                for index in 0..<5 { try await writer.write("chunk\(index);") }
            }
        }
        router.get("/file") { request, _ in
            let path = request.query["path"] ?? ""
            if let from = request.query["from"].flatMap(Int64.init), let to = request.query["to"].flatMap(Int64.init) {
                return .file(path: path, range: from..<to)
            }
            return .file(path: path)
        }
        router.get("/poll") { _, context in
            let reason = await context.wait(for: notifier, until: .now + .seconds(Int64(30)))
            return HTTPResponse(text: "woke: \(reason)")
        }
        return router
    }

    @Test func servesARouteOverARealSocket() async throws {
        try await withTestServer(Self.makeRouter()) { _, port in
            let (text, _) = try await RawConnection.exchange(
                port: port,
                sending: "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
            ) { completeResponses(in: $0).count == 1 }
            #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(text.lowercased().contains("content-length: 5\r\n"))
            #expect(text.hasSuffix("\r\n\r\nhello"))
        }
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() async throws {
        try await withTestServer(Self.makeRouter()) { _, port in
            let connection = try await RawConnection.connect(port: port)
            try await connection.channel.executeThenClose { inbound, outbound in
                var iterator = inbound.makeAsyncIterator()
                for word in ["one", "two", "three"] {
                    try await outbound.write(ByteBuffer(string: "GET /echo/\(word) HTTP/1.1\r\nHost: x\r\n\r\n"))
                    var text = ""
                    while completeResponses(in: text).isEmpty, let chunk = try await iterator.next() {
                        text += String(buffer: chunk)
                    }
                    #expect(text.hasSuffix("\r\n\r\n\(word)"))
                }
            }
        }
    }

    @Test func requestsWithAndWithoutBodiesAlternateOnOneConnection() async throws {
        // A request without Content-Length has no body to read: its end part is skipped before the next head.
        try await withTestServer(Self.makeRouter()) { _, port in
            let requests =
                "GET /echo/a HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /small HTTP/1.1\r\nHost: x\r\ncontent-length: 3\r\n\r\nabc"
                + "GET /echo/b HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /small HTTP/1.1\r\nHost: x\r\ntransfer-encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n"
                + "GET /echo/c HTTP/1.1\r\nHost: x\r\n\r\n"
            let (text, _) = try await RawConnection.exchange(port: port, sending: requests) {
                completeResponses(in: $0).count == 5
            }
            let bodies = completeResponses(in: text).map { $0.components(separatedBy: "\r\n\r\n").last ?? "" }
            #expect(bodies == ["a", "got 3", "b", "got 2", "c"])
        }
    }

    @Test func aRequestWithoutBodyIsAnEmptyStreamOrAnEmptyCollectedBuffer() async throws {
        var router = Router()
        router.get("/streamed", body: .stream) { request, _ in
            var chunks = 0
            for try await _ in request.body { chunks += 1 }
            return HTTPResponse(text: "buffer: \(request.body.buffer == nil ? "nil" : "set"), chunks: \(chunks)")
        }
        router.get("/collected") { request, _ in
            HTTPResponse(text: "collected: \(request.body.buffer?.readableBytes ?? -1)")
        }
        try await withTestServer(router) { _, port in
            let requests = "GET /streamed HTTP/1.1\r\nHost: x\r\n\r\nGET /collected HTTP/1.1\r\nHost: x\r\n\r\n"
            let (text, _) = try await RawConnection.exchange(port: port, sending: requests) {
                completeResponses(in: $0).count == 2
            }
            let bodies = completeResponses(in: text).map { $0.components(separatedBy: "\r\n\r\n").last ?? "" }
            #expect(bodies == ["buffer: nil, chunks: 0", "collected: 0"])
        }
    }

    @Test func eachRequestLogsWithItsOwnRequestID() async throws {
        var router = Router()
        router.get("/id") { _, context in
            HTTPResponse(text: context.logger[metadataKey: "request_id"].map { "\($0)" } ?? "none")
        }
        try await withTestServer(router) { _, port in
            let request = "GET /id HTTP/1.1\r\nHost: x\r\n\r\n"
            let (text, _) = try await RawConnection.exchange(port: port, sending: request + request) {
                completeResponses(in: $0).count == 2
            }
            let ids = completeResponses(in: text).map { $0.components(separatedBy: "\r\n\r\n").last ?? "" }
            #expect(ids.count == 2)
            #expect(!ids.contains("none"))
            #expect(Set(ids).count == 2)
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withTestServer(Self.makeRouter()) { _, port in
            let words = (0..<10).map { "w\($0)" }
            let requests = words.map { "GET /echo/\($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined()
            let (text, _) = try await RawConnection.exchange(port: port, sending: requests) {
                completeResponses(in: $0).count == 10
            }
            let bodies = completeResponses(in: text).map { $0.components(separatedBy: "\r\n\r\n").last ?? "" }
            #expect(bodies == words)
        }
    }

    @Test func headAnswersLengthWithoutBody() async throws {
        try await withTestServer(Self.makeRouter()) { _, port in
            let (text, _) = try await RawConnection.exchange(
                port: port,
                sending: "HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /echo/after HTTP/1.1\r\nHost: x\r\n\r\n"
            ) { $0.hasSuffix("after") }
            let parts = text.components(separatedBy: "HTTP/1.1 200 OK")
            #expect(parts.count == 3)
            #expect(parts[1].lowercased().contains("content-length: 5\r\n"))
            #expect(parts[1].hasSuffix("\r\n\r\n"))  // no body before the next response
        }
    }

    @Test func notFoundAndMethodNotAllowedOverSocket() async throws {
        try await withTestServer(Self.makeRouter()) { _, port in
            let (text, _) = try await RawConnection.exchange(
                port: port,
                sending:
                    "GET /missing HTTP/1.1\r\nHost: x\r\n\r\nPUT /hello HTTP/1.1\r\nHost: x\r\ncontent-length: 0\r\n\r\n"
            ) { completeResponses(in: $0).count == 2 }
            let responses = completeResponses(in: text)
            #expect(responses[0].hasPrefix("HTTP/1.1 404 Not Found"))
            #expect(responses[1].hasPrefix("HTTP/1.1 405 Method Not Allowed"))
            #expect(responses[1].lowercased().contains("allow: get, head\r\n"))
        }
    }

    @Test func overLargeBodyAnswers413AndCloses() async throws {
        try await withTestServer(Self.makeRouter()) { _, port in
            let body = String(repeating: "x", count: 200_000)
            let (text, closed) = try await RawConnection.exchange(
                port: port,
                sending: "POST /small HTTP/1.1\r\nHost: x\r\ncontent-length: \(body.utf8.count)\r\n\r\n\(body)"
            )
            #expect(text.hasPrefix("HTTP/1.1 413 Payload Too Large"))
            #expect(text.lowercased().contains("connection: close"))
            #expect(closed)
        }
    }

    @Test func chunkedBodyOverTheLimitAnswers413() async throws {
        try await withTestServer(Self.makeRouter()) { _, port in
            let chunk = String(repeating: "y", count: 1000)
            let chunked = "3e8\r\n\(chunk)\r\n3e8\r\n\(chunk)\r\n0\r\n\r\n"
            let (text, _) = try await RawConnection.exchange(
                port: port,
                sending: "POST /small HTTP/1.1\r\nHost: x\r\ntransfer-encoding: chunked\r\n\r\n\(chunked)"
            ) { completeResponses(in: $0).count == 1 }
            #expect(text.hasPrefix("HTTP/1.1 413 Payload Too Large"))
        }
    }

    @Test func slowClientIsCutByHeaderReadTimeout() async throws {
        try await withTestServer(Self.makeRouter(), configure: { $0.headerReadTimeout = .milliseconds(200) }) {
            _, port in
            let (text, closed) = try await RawConnection.exchange(
                port: port,
                sending: "GET /hello HTTP/1.1\r\nHost: x\r\n",  // never finishes the head
                timeout: .seconds(20)
            )
            #expect(closed)
            #expect(!text.contains("200 OK"))
        }
    }

    @Test func idleKeepAliveConnectionIsClosed() async throws {
        try await withTestServer(Self.makeRouter(), configure: { $0.idleTimeout = .milliseconds(200) }) { _, port in
            let (text, closed) = try await RawConnection.exchange(
                port: port,
                sending: "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n",
                timeout: .seconds(20)
            )
            #expect(text.hasSuffix("hello"))
            #expect(closed)
        }
    }

    @Test func oversizedHeadAnswers431() async throws {
        try await withTestServer(Self.makeRouter(), configure: { $0.maxHeaderSize = 1024 }) { _, port in
            let filler = String(repeating: "a", count: 4096)
            let (text, _) = try await RawConnection.exchange(
                port: port,
                sending: "GET /hello HTTP/1.1\r\nHost: x\r\nX-Filler: \(filler)\r\n\r\n"
            )
            #expect(text.hasPrefix("HTTP/1.1 431"))
        }
    }

    @Test func streamedResponseIsChunked() async throws {
        try await withTestServer(Self.makeRouter()) { _, port in
            let (text, _) = try await RawConnection.exchange(
                port: port,
                sending: "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"
            ) { $0.hasSuffix("0\r\n\r\n") }
            #expect(text.lowercased().contains("transfer-encoding: chunked"))
            for index in 0..<5 { #expect(text.contains("chunk\(index);")) }
        }
    }

    @Test func longPollWakesOnPublish() async throws {
        let notifier = Notifier()
        try await withTestServer(Self.makeRouter(notifier: notifier)) { _, port in
            async let answer = RawConnection.exchange(port: port, sending: "GET /poll HTTP/1.1\r\nHost: x\r\n\r\n") {
                completeResponses(in: $0).count == 1
            }
            try await eventually("a waiter") { notifier.waiterCount >= 1 }
            notifier.publish()
            #expect(try await answer.text.hasSuffix("woke: event"))
        }
    }

    @Test func gracefulShutdownAnswersOpenLongPolls() async throws {
        let notifier = Notifier()
        let router = Self.makeRouter(notifier: notifier)
        let texts = try await withTestServer(router) { server, port in
            async let first = RawConnection.exchange(port: port, sending: "GET /poll HTTP/1.1\r\nHost: x\r\n\r\n")
            async let second = RawConnection.exchange(port: port, sending: "GET /poll HTTP/1.1\r\nHost: x\r\n\r\n")
            try await eventually("two waiters") { notifier.waiterCount >= 2 }
            server.triggerGracefulShutdown()
            return [try await first, try await second]
        }
        for (text, closed) in texts {
            #expect(text.hasSuffix("woke: shutdown"))
            #expect(text.lowercased().contains("connection: close"))
            #expect(closed)
        }
    }
}
