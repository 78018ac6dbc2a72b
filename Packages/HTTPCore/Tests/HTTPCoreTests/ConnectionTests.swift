import Foundation
import HTTPCore
import NIOCore
import Testing

@Suite(.timeLimit(.minutes(3))) struct ConnectionTests {
    /// How many `/slow` requests have started (only the shutdown test uses `/slow`).
    static let slowStarted = Counter()

    static func makeRouter() -> Router {
        var router = ServerTests.makeRouter()
        router.post("/count", body: .stream) { request, _ in
            var total = 0
            for try await chunk in request.body { total += chunk.readableBytes }
            return HTTPResponse(text: "\(total)")
        }
        router.get("/slow") { _, _ in
            slowStarted.increment()
            try await Task.sleep(for: .milliseconds(300))
            return HTTPResponse(text: "slow done")
        }
        return router
    }

    @Test func streamedRequestBodyArrivesInChunks() async throws {
        try await withTestServer(Self.makeRouter()) { _, port in
            let chunked = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
            let (text, _) = try await RawConnection.exchange(
                port: port,
                sending: "POST /count HTTP/1.1\r\nHost: x\r\ntransfer-encoding: chunked\r\n\r\n\(chunked)"
            ) { completeResponses(in: $0).count == 1 }
            #expect(text.hasSuffix("\r\n\r\n11"))
        }
    }

    @Test func expectContinueIsAnsweredBeforeTheBody() async throws {
        try await withTestServer(Self.makeRouter()) { _, port in
            let connection = try await RawConnection.connect(port: port)
            try await connection.channel.executeThenClose { inbound, outbound in
                var iterator = inbound.makeAsyncIterator()
                try await outbound.write(
                    ByteBuffer(
                        string: "POST /count HTTP/1.1\r\nHost: x\r\ncontent-length: 4\r\nexpect: 100-continue\r\n\r\n")
                )
                var text = ""
                while !text.contains("\r\n\r\n"), let chunk = try await iterator.next() {
                    text += String(buffer: chunk)
                }
                #expect(text.hasPrefix("HTTP/1.1 100 Continue"))
                try await outbound.write(ByteBuffer(string: "abcd"))
                while !text.hasSuffix("\r\n\r\n4"), let chunk = try await iterator.next() {
                    text += String(buffer: chunk)
                }
                #expect(text.contains("HTTP/1.1 200 OK"))
            }
        }
    }

    @Test func slowRequestBodyIsCutByRequestTimeout() async throws {
        try await withTestServer(Self.makeRouter(), configure: { $0.requestTimeout = .milliseconds(200) }) { _, port in
            let (text, closed) = try await RawConnection.exchange(
                port: port,
                sending: "POST /count HTTP/1.1\r\nHost: x\r\ncontent-length: 100\r\n\r\nonly ten b",
                timeout: .seconds(20)
            )
            #expect(closed)
            #expect(!text.contains("200 OK"))
        }
    }

    @Test func connectionCapHoldsNewConnectionsUntilOneCloses() async throws {
        try await withTestServer(Self.makeRouter(), configure: { $0.maxConnections = 1 }) { server, port in
            let first = try await RawConnection.connect(port: port)
            try await first.channel.executeThenClose { inbound, outbound in
                var iterator = inbound.makeAsyncIterator()
                try await outbound.write(ByteBuffer(string: "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"))
                _ = try await iterator.next()
                #expect(server.connectionCount == 1)
                async let second = RawConnection.exchange(
                    port: port, sending: "GET /echo/second HTTP/1.1\r\nHost: x\r\n\r\n"
                ) {
                    completeResponses(in: $0).count == 1
                }
                // Checking that something does NOT happen needs a window; 300 ms is ample for an accept on loopback.
                try await Task.sleep(for: .milliseconds(300))
                #expect(server.connectionCount == 1)  // the second connection waits in the backlog
                outbound.finish()
                try await first.channel.channel.close()
                #expect(try await second.text.hasSuffix("second"))
            }
        }
    }

    @Test func gracefulShutdownFinishesInFlightRequestsAndClosesIdleConnections() async throws {
        let router = Self.makeRouter()
        let results = try await withTestServer(router) { server, port in
            // An idle keep-alive connection: answered once, then left open.
            let answered = Counter()
            let idle = Task {
                let connection = try await RawConnection.connect(port: port)
                return try await connection.channel.executeThenClose { inbound, outbound in
                    try await outbound.write(ByteBuffer(string: "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"))
                    var text = ""
                    for try await chunk in inbound {
                        text += String(buffer: chunk)
                        if completeResponses(in: text).count == 1 && answered.value == 0 { answered.increment() }
                    }
                    return (text: text, closed: true)
                }
            }
            try await eventually("the idle connection's answer") { answered.value > 0 }
            let busy = Task {
                try await RawConnection.exchange(port: port, sending: "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            }
            try await eventually("the slow handler to start") { Self.slowStarted.value > 0 }
            server.triggerGracefulShutdown()
            return [try await idle.value, try await busy.value]
        }
        #expect(results[0].closed && results[0].text.hasSuffix("hello"))
        #expect(results[1].closed && results[1].text.hasSuffix("slow done"))
        #expect(results[1].text.lowercased().contains("connection: close"))
    }

    @Test func streamedResponseWaitsForASlowReader() async throws {
        let produced = Counter()
        var router = Router()
        let chunk = ByteBuffer(repeating: 0x61, count: 1 << 20)
        router.get("/big") { _, _ in
            .stream { writer in
                for _ in 0..<64 {
                    try await writer.write(chunk)
                    produced.increment()
                }
            }
        }
        try await withTestServer(router) { _, port in
            let connection = try await RawConnection.connect(port: port, receiveBuffer: 64 * 1024)
            try await connection.channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: "GET /big HTTP/1.1\r\nHost: x\r\n\r\n"))
                try await Task.sleep(for: .milliseconds(500))
                // Without back-pressure all 64 MiB would be produced into memory by now; with it, the producer stops
                // once the socket buffers (a few MiB: the client's receive buffer is pinned small) are full.
                #expect(produced.value < 32)
                var received = 0
                for try await part in inbound {
                    received += part.readableBytes
                    if received >= 64 << 20 { break }
                }
                #expect(produced.value == 64)
            }
        }
    }

    @Test func headOnAFileSendsItsLengthOnly() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.file("f.bin", bytes: Array(repeating: 7, count: 1234))
        try await withTestServer(Self.makeRouter()) { _, port in
            let (text, _) = try await RawConnection.exchange(
                port: port,
                sending: "HEAD /file?path=\(file) HTTP/1.1\r\nHost: x\r\n\r\nGET /echo/next HTTP/1.1\r\nHost: x\r\n\r\n"
            ) { $0.hasSuffix("next") }
            let first = text.components(separatedBy: "HTTP/1.1 200 OK")[1]
            #expect(first.lowercased().contains("content-length: 1234\r\n"))
            #expect(first.hasSuffix("\r\n\r\n"))
        }
    }
}

/// Records the status the router produced for each request, as a metrics middleware sees it.
struct StatusRecorder: HTTPMiddleware {
    let recorder: Recorder

    func handle(_ request: HTTPRequest, context: RequestContext, next: Next) async throws -> HTTPResponse {
        let response = try await next(request, context)
        recorder.record("\(request.route ?? "-") \(response.status.code)")
        return response
    }
}

@Suite(.timeLimit(.minutes(2))) struct MalformedBodyTests {
    /// A chunk size of `zz` is the client's fault: 400 on the wire and for middleware (metrics), never a 500.
    @Test(arguments: [".collect", ".stream"]) func malformedChunkSizeIsA400Everywhere(policy: String) async throws {
        let statuses = Recorder()
        var router = ConnectionTests.makeRouter()
        router.post("/collect") { request, _ in HTTPResponse(text: "\(request.body.buffer?.readableBytes ?? 0)") }
        router.add(middleware: StatusRecorder(recorder: statuses))
        let path = policy == ".collect" ? "/collect" : "/count"
        try await withTestServer(router) { _, port in
            let (text, _) = try await RawConnection.exchange(
                port: port,
                sending:
                    "POST \(path) HTTP/1.1\r\nHost: x\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"
            ) { $0.contains("\r\n\r\n") }
            #expect(text.hasPrefix("HTTP/1.1 400"))
            try await eventually("the router's status for \(path)") { !statuses.entries.isEmpty }
            #expect(statuses.entries == ["\(path) 400"])
        }
    }
}
