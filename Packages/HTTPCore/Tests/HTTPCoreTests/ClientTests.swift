import Foundation
import HTTPCore
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(3))) struct ClientTests {
    struct Trigger: Codable, Equatable, Sendable {
        var name: String
        var count: Int
    }

    static func makeRouter() -> Router {
        var router = ServerTests.makeRouter()
        router.post("/v1/triggers/:name") { request, _ in
            var trigger = try await request.decode(Trigger.self)
            trigger.count += 1
            return try .json(trigger)
        }
        router.get("/ranged") { request, _ in .file(path: request.query["path"] ?? "", request: request) }
        // Promises 8 MiB, sends 3 MiB, then fails: the connection closes mid-body.
        router.get("/truncated") { _, _ in
            HTTPResponse(
                body: .stream(length: 8 << 20) { writer in
                    for _ in 0..<3 { try await writer.write(ByteBuffer(repeating: 0x5A, count: 1 << 20)) }
                    throw CancellationError()
                })
        }
        router.get("/auth") { request, _ in
            HTTPResponse(text: request.headers.first(name: "authorization") ?? "none")
        }
        return router
    }

    @Test func jsonRoundTripThroughTheClient() async throws {
        try await withTestServer(Self.makeRouter()) { _, port in
            try await HTTPClient.withHTTPClient { client in
                let response = try await client.json(
                    .POST,
                    "http://127.0.0.1:\(port)/v1/triggers/web",
                    body: Trigger(name: "web", count: 1),
                    as: Trigger.self
                )
                #expect(response.status == .ok)
                #expect(response.value == Trigger(name: "web", count: 2))
            }
        }
    }

    @Test func non2xxJSONThrowsWithStatusAndURL() async throws {
        try await withTestServer(Self.makeRouter()) { _, port in
            try await HTTPClient.withHTTPClient { client in
                let url = "http://127.0.0.1:\(port)/missing"
                let error = try await #require(throws: HTTPClientError.self) {
                    _ = try await client.json(.GET, url, as: Trigger.self)
                }
                #expect(error.kind == .httpStatus)
                #expect(error.status == 404)
                #expect(error.url == url)
                #expect(error.detail.contains("not_found"))
            }
        }
    }

    @Test func defaultHeadersCarryBearerToken() async throws {
        try await withTestServer(Self.makeRouter()) { _, port in
            var configuration = HTTPClient.Configuration()
            configuration.setBearerToken("t0ken")
            try await HTTPClient.withHTTPClient(configuration: configuration) { client in
                let response = try await client.execute(.GET, "http://127.0.0.1:\(port)/auth")
                #expect(response.text == "Bearer t0ken")
            }
        }
    }

    @Test func connectionRefusedIsReportedWithTheURL() async throws {
        // Bind and close a server to find a port nobody listens on.
        let port = try await withTestServer(Router()) { _, port in port }
        try await HTTPClient.withHTTPClient(configuration: .init(connectTimeout: .milliseconds(500))) { client in
            let url = "http://127.0.0.1:\(port)/x"
            let error = try await #require(throws: HTTPClientError.self) {
                _ = try await client.execute(.GET, url)
            }
            #expect(error.kind == .connectionFailed || error.kind == .timeout)
            #expect(error.url == url)
        }
    }

    @Test func readTimeoutIsReported() async throws {
        let notifier = Notifier()
        try await withTestServer(ServerTests.makeRouter(notifier: notifier)) { _, port in
            try await HTTPClient.withHTTPClient(configuration: .init(readTimeout: .milliseconds(200))) { client in
                let error = try await #require(throws: HTTPClientError.self) {
                    _ = try await client.execute(.GET, "http://127.0.0.1:\(port)/poll")
                }
                #expect(error.kind == .timeout)
            }
            notifier.publish()
        }
    }

    @Test func downloadStreamsTheBodyIntoAFile() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let source = try directory.file("source.bin", bytes: bytes)
        let target = directory.path + "/target.bin"
        try await withTestServer(Self.makeRouter()) { _, port in
            try await HTTPClient.withHTTPClient { client in
                let result = try await client.download("http://127.0.0.1:\(port)/file?path=\(source)", to: target)
                #expect(result.status == .ok)
                #expect(result.bytesWritten == Int64(bytes.count))
                #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data(bytes))
                #expect(!FileManager.default.fileExists(atPath: target + ".partial"))
            }
        }
    }

    /// A body of several write batches reaches the file whole and in order, and the observer sees exactly the bytes
    /// written, in the same order (what the agent hashes instead of reading the file again).
    @Test func downloadShowsTheObserverEveryByteInOrder() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let bytes = (0..<3_700_001).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        let source = try directory.file("source.bin", bytes: bytes)
        let target = directory.path + "/target.bin"
        let seen = Mutex<[UInt8]>([])
        try await withTestServer(Self.makeRouter()) { _, port in
            try await HTTPClient.withHTTPClient { client in
                let result = try await client.download(
                    "http://127.0.0.1:\(port)/file?path=\(source)", to: target,
                    observe: { chunk in seen.withLock { $0.append(contentsOf: chunk) } })
                #expect(result.bytesWritten == Int64(bytes.count))
            }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data(bytes))
        #expect(seen.withLock { $0 == bytes }, "the observer saw \(seen.withLock { $0.count }) bytes")
    }

    /// A destination that cannot be created is a `.file` error naming the path, and leaves nothing behind.
    @Test func downloadIntoAMissingFolderSaysWhere() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = try directory.file("source.bin", bytes: Array(repeating: 7, count: 1000))
        let target = directory.path + "/no/such/folder/target.bin"
        try await withTestServer(Self.makeRouter()) { _, port in
            try await HTTPClient.withHTTPClient { client in
                let error = try await #require(throws: HTTPClientError.self) {
                    _ = try await client.download("http://127.0.0.1:\(port)/file?path=\(source)", to: target)
                }
                #expect(error.kind == .file)
                #expect(error.detail.contains(target + ".partial"), "\(error.detail)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    /// A body that breaks off is an error, and neither the file nor its `.partial` is left behind (the batches
    /// already written are removed).
    @Test func aTruncatedDownloadLeavesNothing() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let target = directory.path + "/target.bin"
        try await withTestServer(Self.makeRouter()) { _, port in
            try await HTTPClient.withHTTPClient { client in
                await #expect(throws: HTTPClientError.self) {
                    _ = try await client.download("http://127.0.0.1:\(port)/truncated", to: target)
                }
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test func downloadDoesNotWriteErrorBodies() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let target = directory.path + "/target.bin"
        try await withTestServer(Self.makeRouter()) { _, port in
            try await HTTPClient.withHTTPClient { client in
                let result = try await client.download("http://127.0.0.1:\(port)/missing", to: target)
                #expect(result.status == .notFound)
                #expect(!result.wroteFile)
                #expect(!FileManager.default.fileExists(atPath: target))
            }
        }
    }

    @Test func fileRangeAnswers206WithContentRange() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let bytes = Array("0123456789abcdefghij".utf8)
        let source = try directory.file("range.txt", bytes: bytes)
        try await withTestServer(Self.makeRouter()) { _, port in
            try await HTTPClient.withHTTPClient { client in
                let response = try await client.execute(
                    .GET, "http://127.0.0.1:\(port)/file?path=\(source)&from=5&to=12")
                #expect(response.status == .partialContent)
                #expect(response.text == "56789ab")
                #expect(response.headers.first(name: "content-range") == "bytes 5-11/20")
                let missing = try await client.execute(
                    .GET, "http://127.0.0.1:\(port)/file?path=\(directory.path)/nope")
                #expect(missing.status == .notFound)
                let beyond = try await client.execute(
                    .GET, "http://127.0.0.1:\(port)/file?path=\(source)&from=30&to=40")
                #expect(beyond.status == .rangeNotSatisfiable)
                let viaHeader = try await client.execute(
                    .GET,
                    "http://127.0.0.1:\(port)/ranged?path=\(source)",
                    headers: ["range": "bytes=-3"]
                )
                #expect(viaHeader.status == .partialContent)
                #expect(viaHeader.text == "hij")
                #expect(viaHeader.headers.first(name: "content-range") == "bytes 17-19/20")
                let whole = try await client.execute(.GET, "http://127.0.0.1:\(port)/ranged?path=\(source)")
                #expect(whole.status == .ok)
                #expect(whole.text == "0123456789abcdefghij")
            }
        }
    }
}
