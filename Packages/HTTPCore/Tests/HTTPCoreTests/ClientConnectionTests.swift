import CZlib
import Digest
import Foundation
import Synchronization
import Testing

@testable import HTTPCore

/// HTTPCore's own HTTP/1.1 client on the wire: connection reuse and retries, body framings, decoding, limits,
/// deadlines, cancellation, redirects and large downloads, against servers that misbehave on purpose.
@Suite(.timeLimit(.minutes(3))) struct ClientConnectionTests {
    static let hello = ScriptedServer.ok("hello")

    @Test func twoSequentialRequestsShareOneConnection() async throws {
        try await ScriptedServer.run(script: { _ in Self.hello }) { server, port in
            try await HTTPClient.withHTTPClient { client in
                for _ in 0..<3 {
                    let answer1 = try await client.execute(.GET, "http://127.0.0.1:\(port)/a")
                    #expect(answer1.text == "hello")
                }
            }
            #expect(server.accepted == 1)
            #expect(server.requests.map(\.indexOnConnection) == [1, 2, 3])
        }
    }

    @Test func theRequestCarriesHostLengthAndDefaultHeaders() async throws {
        try await ScriptedServer.run(script: { _ in Self.hello }) { server, port in
            var configuration = HTTPClient.Configuration()
            configuration.headers.add(name: "user-agent", value: "tests/1")
            try await HTTPClient.withHTTPClient(configuration: configuration) { client in
                _ = try await client.execute(.GET, "http://127.0.0.1:\(port)/cache?x=1", body: ByteBuffer(string: "{}"))
            }
            let request = try #require(server.requests.first)
            #expect(request.method == "GET")
            #expect(request.path == "/cache?x=1")
            #expect(request.body == Array("{}".utf8))
            #expect(request.headers["host"] == "127.0.0.1:\(port)")
            #expect(request.headers["content-length"] == "2")
            #expect(request.headers["user-agent"] == "tests/1")
            #expect(request.headers["accept-encoding"] == "gzip, deflate")
        }
    }

    /// The server closes a kept-alive connection after answering: the next GET goes out on a new connection.
    @Test func aConnectionTheServerClosedWhileIdleIsReplaced() async throws {
        let script: @Sendable (ScriptedServer.Request) -> ScriptedServer.Action = { _ in
            .respondAndClose(ScriptedServer.response(status: "200 OK", body: "bye"))
        }
        try await ScriptedServer.run(script: script) { server, port in
            try await HTTPClient.withHTTPClient { client in
                let answer2 = try await client.execute(.GET, "http://127.0.0.1:\(port)/a")
                #expect(answer2.text == "bye")
                try await eventually("the server closed the first connection") { server.open == 0 }
                let answer3 = try await client.execute(.GET, "http://127.0.0.1:\(port)/b")
                #expect(answer3.text == "bye")
            }
            #expect(server.accepted == 2)
        }
    }

    /// A GET the server drops unanswered on a reused connection is sent again, once, on a new connection.
    @Test func aGETDroppedOnAReusedConnectionIsRetriedOnce() async throws {
        let script: @Sendable (ScriptedServer.Request) -> ScriptedServer.Action = { request in
            request.connection == 1 && request.indexOnConnection == 2 ? .close : Self.hello
        }
        try await ScriptedServer.run(script: script) { server, port in
            try await HTTPClient.withHTTPClient { client in
                _ = try await client.execute(.GET, "http://127.0.0.1:\(port)/first")
                let answer4 = try await client.execute(.GET, "http://127.0.0.1:\(port)/second")
                #expect(answer4.text == "hello")
            }
            #expect(server.accepted == 2)
            #expect(server.requests.map(\.path) == ["/first", "/second", "/second"])
        }
    }

    /// A POST the server drops unanswered on a reused connection is not sent again (it may have been acted on).
    @Test func aPOSTDroppedOnAReusedConnectionIsNotRetried() async throws {
        let script: @Sendable (ScriptedServer.Request) -> ScriptedServer.Action = { request in
            request.method == "POST" ? .close : Self.hello
        }
        try await ScriptedServer.run(script: script) { server, port in
            try await HTTPClient.withHTTPClient { client in
                _ = try await client.execute(.GET, "http://127.0.0.1:\(port)/first")
                let url = "http://127.0.0.1:\(port)/v1/triggers/web"
                let error = try await #require(throws: HTTPClientError.self) {
                    _ = try await client.execute(.POST, url, body: ByteBuffer(string: "+1"))
                }
                #expect(error.kind == .connectionClosed)
                #expect(error.method == "POST")
                #expect(error.url == url)
                #expect(error.description.contains("POST \(url)"))
            }
            #expect(server.requests.filter { $0.method == "POST" }.count == 1)
            #expect(server.accepted == 1)
        }
    }

    @Test func aChunkedBodyIsReadAndTheConnectionReused() async throws {
        let chunked = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        try await ScriptedServer.run(script: { _ in .respond(chunked) }) { server, port in
            try await HTTPClient.withHTTPClient { client in
                let answer5 = try await client.execute(.GET, "http://127.0.0.1:\(port)/a")
                #expect(answer5.text == "hello world")
                let answer6 = try await client.execute(.GET, "http://127.0.0.1:\(port)/b")
                #expect(answer6.text == "hello world")
            }
            #expect(server.accepted == 1)
        }
    }

    @Test func aBodyDelimitedByTheCloseIsReadWhole() async throws {
        let text = String(repeating: "until the close; ", count: 10_000)
        try await ScriptedServer.run(script: { _ in .respondAndClose("HTTP/1.1 200 OK\r\n\r\n" + text) }) {
            server, port in
            try await HTTPClient.withHTTPClient { client in
                let answer7 = try await client.execute(.GET, "http://127.0.0.1:\(port)/a")
                #expect(answer7.text == text)
                let answer8 = try await client.execute(.GET, "http://127.0.0.1:\(port)/b")
                #expect(answer8.text == text)
            }
            #expect(server.accepted == 2)
        }
    }

    @Test func headAnd204AnswersHaveNoBody() async throws {
        let script: @Sendable (ScriptedServer.Request) -> ScriptedServer.Action = { request in
            switch request.method {
            case "HEAD": .respond("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n")
            case "DELETE": .respond("HTTP/1.1 204 No Content\r\n\r\n")
            default: Self.hello
            }
        }
        try await ScriptedServer.run(script: script) { server, port in
            try await HTTPClient.withHTTPClient { client in
                let head = try await client.execute(.HEAD, "http://127.0.0.1:\(port)/a")
                #expect(head.headers.first(name: "content-length") == "100")
                #expect(head.body.readableBytes == 0)
                let answer9 = try await client.execute(.DELETE, "http://127.0.0.1:\(port)/a")
                #expect(answer9.status == .noContent)
                let answer10 = try await client.execute(.GET, "http://127.0.0.1:\(port)/a")
                #expect(answer10.text == "hello")
            }
            #expect(server.accepted == 1)
        }
    }

    @Test func aGzipBodyIsDecodedOnlyWithDecompression() async throws {
        let gzipped = TLSAndEncodingTests.gzippedGreeting
        let head = "HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: \(gzipped.count)\r\n\r\n"
        try await ScriptedServer.run(script: { _ in .respondBytes(Array(head.utf8) + gzipped) }) { _, port in
            let url = "http://127.0.0.1:\(port)/gz"
            try await HTTPClient.withHTTPClient { client in
                let answer11 = try await client.execute(.GET, url)
                #expect(answer11.text == String(repeating: "hello gzip ", count: 50))
            }
            try await HTTPClient.withHTTPClient(configuration: .init(decompression: false)) { client in
                let answer12 = try await client.execute(.GET, url)
                #expect(Array(answer12.body.readableBytesView) == gzipped)
            }
        }
    }

    /// A download of a compressed body writes (and shows the observer) the decoded bytes.
    @Test func aCompressedDownloadWritesTheDecodedBytes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let plain = (0..<3_000_000).map { UInt8(truncatingIfNeeded: ($0 / 7) &* 31) }
        let deflated = try DeflateStream.compress(plain, format: .gzip)
        let head = "HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: \(deflated.count)\r\n\r\n"
        let target = directory.path + "/plain.bin"
        let seen = Mutex(0)
        try await ScriptedServer.run(script: { _ in .respondBytes(Array(head.utf8) + deflated) }) { _, port in
            try await HTTPClient.withHTTPClient { client in
                let result = try await client.download(
                    "http://127.0.0.1:\(port)/gz", to: target, observe: { bytes in seen.withLock { $0 += bytes.count } }
                )
                #expect(result.bytesWritten == Int64(plain.count))
            }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data(plain))
        #expect(seen.withLock { $0 } == plain.count)
    }

    @Test func aBodyOverMaxBodySizeIsRefused() async throws {
        let big = String(repeating: "x", count: 5000)
        let chunked = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1388\r\n\(big)\r\n0\r\n\r\n"
        let script: @Sendable (ScriptedServer.Request) -> ScriptedServer.Action = { request in
            switch request.path {
            case "/chunked": .respond(chunked)
            case "/small": ScriptedServer.ok("small")
            default: ScriptedServer.ok(big)
            }
        }
        try await ScriptedServer.run(script: script) { _, port in
            try await HTTPClient.withHTTPClient(configuration: .init(maxBodySize: 4096)) { client in
                for path in ["/length", "/chunked"] {
                    let url = "http://127.0.0.1:\(port)\(path)"
                    let error = try await #require(throws: HTTPClientError.self) {
                        _ = try await client.execute(.GET, url)
                    }
                    #expect(error.kind == .bodyTooLarge, "\(path): \(error)")
                    #expect(error.status == 200)
                    #expect(error.url == url)
                }
                // A body within the limit still works on a fresh connection.
                let answer13 = try await client.execute(.GET, "http://127.0.0.1:\(port)/small")
                #expect(answer13.text == "small")
            }
        }
    }

    @Test func theDeadlineEndsAnUnansweredRequest() async throws {
        try await ScriptedServer.run(script: { _ in .neverAnswer }) { server, port in
            try await HTTPClient.withHTTPClient { client in
                let url = "http://127.0.0.1:\(port)/slow"
                let error = try await #require(throws: HTTPClientError.self) {
                    _ = try await client.execute(.GET, url, timeout: .milliseconds(300))
                }
                #expect(error.kind == .timeout)
                #expect(error.url == url)
            }
            try await eventually("the timed-out connection is closed") { server.open == 0 }
        }
    }

    @Test func cancellingARequestClosesItsConnection() async throws {
        try await ScriptedServer.run(script: { _ in .neverAnswer }) { server, port in
            try await HTTPClient.withHTTPClient { client in
                let request = Task { try await client.execute(.GET, "http://127.0.0.1:\(port)/long-poll") }
                try await eventually("the server has the request") { server.requests.count == 1 }
                request.cancel()
                await #expect(throws: (any Error).self) { try await request.value }
                // Closed by the cancellation itself, not by the client's shutdown.
                try await eventually("the connection is closed") { server.open == 0 }
            }
        }
    }

    /// `shutdown` closes a connection with a request in flight too: the request fails at once as closed.
    @Test func shutdownEndsARequestInFlight() async throws {
        try await ScriptedServer.run(script: { _ in .neverAnswer }) { server, port in
            let client = try HTTPClient()
            let url = "http://127.0.0.1:\(port)/long-poll"
            let request = Task { try await client.execute(.GET, url) }
            try await eventually("the server has the request") { server.requests.count == 1 }
            try await client.shutdown()
            let error = try await #require(throws: HTTPClientError.self) { try await request.value }
            #expect(error.kind == .connectionClosed)
            #expect(error.url == url)
            try await eventually("the connection is closed") { server.open == 0 }
        }
    }

    @Test func redirectsAreFollowedAndALoopStopsAfterFive() async throws {
        let script: @Sendable (ScriptedServer.Request) -> ScriptedServer.Action = { request in
            switch request.path {
            case "/old": .respond(ScriptedServer.response(status: "302 Found", body: "", headers: ["location: /new"]))
            case "/new": ScriptedServer.ok("new \(request.method) \(request.body.count)")
            case "/keep":
                .respond(
                    ScriptedServer.response(status: "307 Temporary Redirect", body: "", headers: ["location: new"]))
            default: .respond(ScriptedServer.response(status: "302 Found", body: "", headers: ["location: /loop"]))
            }
        }
        try await ScriptedServer.run(script: script) { server, port in
            try await HTTPClient.withHTTPClient { client in
                let moved = try await client.execute(
                    .POST, "http://127.0.0.1:\(port)/old", body: ByteBuffer(string: "abc"))
                #expect(moved.text == "new GET 0")
                let kept = try await client.execute(
                    .POST, "http://127.0.0.1:\(port)/keep", body: ByteBuffer(string: "abc"))
                #expect(kept.text == "new POST 3")
                let url = "http://127.0.0.1:\(port)/loop"
                let error = try await #require(throws: HTTPClientError.self) { _ = try await client.execute(.GET, url) }
                #expect(error.kind == .httpStatus)
                #expect(error.status == 302)
                #expect(error.url == url)
            }
            #expect(server.requests.filter { $0.path == "/loop" }.count == 6)
            try await HTTPClient.withHTTPClient(configuration: .init(followRedirects: false)) { client in
                let answer14 = try await client.execute(.GET, "http://127.0.0.1:\(port)/old")
                #expect(answer14.status == .found)
            }
        }
    }

    @Test func invalidURLsAreRefusedWithTheURL() async throws {
        try await HTTPClient.withHTTPClient { client in
            for url in ["ftp://127.0.0.1/x", "127.0.0.1/x", "http:///x", "http://[::1/x", "http://127.0.0.1:99999/"] {
                let error = try await #require(throws: HTTPClientError.self) { _ = try await client.execute(.GET, url) }
                #expect(error.kind == .invalidURL, "\(url): \(error)")
                #expect(error.description.contains("GET \(url)"))
            }
        }
    }

    @Test func urlsAreParsedIntoOriginAndPath() throws {
        let v6 = try RequestTarget("https://[::1]:8443/a/b?c=d#frag")
        #expect(v6.origin == .init(tls: true, host: "::1", port: 8443))
        #expect(v6.origin.hostHeader == "[::1]:8443")
        #expect(v6.pathAndQuery == "/a/b?c=d")
        let plain = try RequestTarget("HTTP://Example.org?q=1")
        #expect(plain.origin == .init(tls: false, host: "example.org", port: 80))
        #expect(plain.origin.hostHeader == "example.org")
        #expect(plain.pathAndQuery == "/?q=1")
        #expect(plain.resolve("x/y") == "http://example.org/x/y")
        #expect(try RequestTarget("https://h/dir/file").resolve("other") == "https://h/dir/other")
        #expect(try RequestTarget("https://h/dir/file").resolve("//g/p") == "https://g/p")
    }

    /// 64 MiB through the download path: the file and the observer's SHA-256 match the source, no `.partial` stays.
    @Test func aLargeDownloadArrivesWholeAndHashed() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var generator = SystemRandomNumberGenerator()
        let bytes = [UInt8](unsafeUninitializedCapacity: 64 << 20) { buffer, count in
            UnsafeMutableRawBufferPointer(buffer).withMemoryRebound(to: UInt64.self) { words in
                for index in words.indices { words[index] = generator.next() }
            }
            count = 64 << 20
        }
        let source = try directory.file("source.bin", bytes: bytes)
        let target = directory.path + "/target.bin"
        let expected = SHA256.hex(
            {
                var hash = SHA256(); hash.update(bytes); return hash.finalize()
            }())
        let hasher = Mutex(SHA256())
        try await withTestServer(ClientTests.makeRouter()) { _, port in
            try await HTTPClient.withHTTPClient { client in
                let result = try await client.download(
                    "http://127.0.0.1:\(port)/file?path=\(source)", to: target,
                    observe: { chunk in hasher.withLock { $0.update(chunk) } })
                #expect(result.bytesWritten == Int64(bytes.count))
            }
        }
        #expect(SHA256.hex(hasher.withLock { $0.finalize() }) == expected)
        let written = try Data(contentsOf: URL(fileURLWithPath: target))
        #expect(
            SHA256.hex(
                {
                    var hash = SHA256(); hash.update(written); return hash.finalize()
                }()) == expected)
        #expect(!FileManager.default.fileExists(atPath: target + ".partial"))
    }
}
