import Foundation
import HTTPCore
import HTTPCoreTesting
import Logging
import NIOCore
import Synchronization
import Testing

/// `ResponseBody.region`: bytes of a file the handler holds open, sent with `sendfile` on a plain connection and in
/// chunks behind TLS.
@Suite(.timeLimit(.minutes(3))) struct FileRegionTests {
    /// Closes its descriptor when released, as a cache entry does; counts its releases.
    final class OpenFile: Sendable {
        static let released = Atomic<Int>(0)
        let descriptor: CInt

        init(_ path: String) throws {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw POSIXError(.ENOENT) }
        }

        deinit {
            close(descriptor)
            Self.released.add(1, ordering: .relaxed)
        }
    }

    static func makeRouter() -> Router {
        var router = Router()
        router.get("/region") { request, _ in
            let file = try OpenFile(request.query["path"] ?? "")
            let offset = request.query["offset"].flatMap(Int64.init) ?? 0
            let length = request.query["length"].flatMap(Int64.init) ?? 0
            return .region(
                headers: ["content-type": "application/octet-stream"], of: file.descriptor, offset: offset,
                length: length, keepingAlive: file)
        }
        router.get("/hello") { _, _ in HTTPResponse(text: "hello") }
        return router
    }

    static let bytes = (0..<3_000_017).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 11) }

    /// Whole, middle, last byte and empty regions arrive exactly, over a plain connection and over TLS.
    @Test(arguments: [false, true]) func theRegionArrivesExactly(tls: Bool) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = try directory.file("source.bin", bytes: Self.bytes)
        let (certificate, tlsConfiguration) = try TestCertificate.files(in: directory)
        let scheme = tls ? "https" : "http"
        try await withTestServer(
            Self.makeRouter(),
            configure: { if tls { $0.tls = tlsConfiguration } }
        ) { _, port in
            try await HTTPClient.withHTTPClient(configuration: .init(caFilePath: tls ? certificate : nil)) { client in
                let size = Int64(Self.bytes.count)
                for (offset, length) in [(0, size), (1_234_567, 1_000_000), (size - 1, 1), (5, 0)] {
                    let response = try await client.execute(
                        .GET, "\(scheme)://127.0.0.1:\(port)/region?path=\(source)&offset=\(offset)&length=\(length)")
                    #expect(response.status == .ok)
                    #expect(response.headers.first(name: "content-length") == "\(length)")
                    let expected = Self.bytes[Int(offset)..<Int(offset + length)]
                    #expect(Array(response.body.readableBytesView) == Array(expected), "\(offset)+\(length)")
                }
                let head = try await client.execute(
                    .HEAD, "\(scheme)://127.0.0.1:\(port)/region?path=\(source)&offset=0&length=\(size)")
                #expect(head.headers.first(name: "content-length") == "\(size)")
                #expect(head.body.readableBytes == 0)
            }
        }
    }

    /// The region's bytes, checked byte for byte over a raw connection, then the answer to a request pipelined
    /// behind it (its end is written once the region is out, so the next answer follows the last byte).
    @Test func theRawBytesAreTheFileThenTheNextAnswer() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = try directory.file("source.bin", bytes: Self.bytes)
        let length = 300_000
        try await withTestServer(Self.makeRouter()) { _, port in
            let connection = try await RawConnection.connect(port: port)
            let received = try await connection.channel.executeThenClose { inbound, outbound in
                try await outbound.write(
                    ByteBuffer(
                        string: "GET /region?path=\(source)&offset=7&length=\(length) HTTP/1.1\r\nHost: x\r\n\r\n"
                            + "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"))
                var all: [UInt8] = []
                for try await chunk in inbound {
                    all += chunk.readableBytesView
                    if all.count > length, all.suffix(9).elementsEqual("\r\n\r\nhello".utf8) { break }
                }
                return all
            }
            let separator = Array("\r\n\r\n".utf8)
            let headEnd = try #require(Self.index(of: separator, in: received)) + separator.count
            let head = String(decoding: received[..<headEnd], as: UTF8.self)
            #expect(head.lowercased().contains("content-length: \(length)\r\n"))
            #expect(Array(received[headEnd..<(headEnd + length)]) == Array(Self.bytes[7..<(7 + length)]))
            let rest = String(decoding: received[(headEnd + length)...], as: UTF8.self)
            #expect(rest.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(rest.hasSuffix("\r\n\r\nhello"))
        }
    }

    static func index(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count)
        where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }

    /// A file that no longer holds the region is answered 500 before any byte of it, and the connection serves on.
    @Test func aFileShorterThanTheRegionIs500() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = try directory.file("source.bin", bytes: Array(Self.bytes.prefix(1000)))
        try await withTestServer(Self.makeRouter()) { _, port in
            let (text, closed) = try await RawConnection.exchange(
                port: port,
                sending: "GET /region?path=\(source)&offset=500&length=501 HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
            ) { $0.hasSuffix("\r\n\r\nhello") }
            #expect(!closed)
            #expect(text.hasPrefix("HTTP/1.1 500 Internal Server Error\r\n"), "\(text.prefix(200))")
            #expect(text.contains("\"error\":\"internal\""), "\(text.prefix(300))")
        }
    }

    /// Every answered region releases its owner and closes the duplicate the server sent from.
    @Test func descriptorsAndOwnersAreReleased() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = try directory.file("source.bin", bytes: Array(Self.bytes.prefix(100_000)))
        let requests = 200
        let openBefore = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
        let releasedBefore = OpenFile.released.load(ordering: .relaxed)
        try await withTestServer(Self.makeRouter()) { _, port in
            try await HTTPClient.withHTTPClient { client in
                for index in 0..<requests {
                    let response = try await client.execute(
                        .GET, "http://127.0.0.1:\(port)/region?path=\(source)&offset=\(index)&length=50000")
                    #expect(response.body.readableBytes == 50_000)
                }
            }
        }
        try await eventually("the \(requests) owners released") {
            OpenFile.released.load(ordering: .relaxed) - releasedBefore >= requests
        }
        // Other suites run alongside and open files too, but not hundreds that stay open.
        let openAfter = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
        #expect(openAfter - openBefore < requests / 2, "\(openBefore) descriptors before, \(openAfter) after")
    }

    /// The idle timer starts after the region's last byte went out, not when the region was queued: a client that
    /// pauses longer than the idle timeout in the middle of a large region still gets all of it.
    @Test func aSlowReaderIsNotCutByTheIdleTimeout() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // Larger than the kernel's buffers on both sides (the send buffer grows to 4 MiB here), so the region is
        // still being sent while the client pauses.
        let large = Array(repeating: Self.bytes, count: 6).flatMap { $0 }
        let source = try directory.file("source.bin", bytes: large)
        let length = large.count
        try await withTestServer(Self.makeRouter(), configure: { $0.idleTimeout = .milliseconds(200) }) { _, port in
            let connection = try await RawConnection.connect(port: port, receiveBuffer: 16 * 1024)
            let received = try await connection.channel.executeThenClose { inbound, outbound in
                try await outbound.write(
                    ByteBuffer(
                        string: "GET /region?path=\(source)&offset=0&length=\(length) HTTP/1.1\r\nHost: x\r\n\r\n"))
                var head: [UInt8] = []
                var headDone = false
                var body = 0
                var paused = false
                for try await chunk in inbound {
                    if headDone {
                        body += chunk.readableBytes
                    } else {
                        head += chunk.readableBytesView
                        if let end = Self.index(of: Array("\r\n\r\n".utf8), in: head) {
                            headDone = true
                            body = head.count - end - 4
                        }
                    }
                    if !paused && body > 100_000 {
                        // Pacing a slow client, not waiting for anything: longer than the idle timeout.
                        paused = true
                        try await Task.sleep(for: .milliseconds(600))
                    }
                    if body >= length { break }
                }
                return body
            }
            #expect(received == length, "the connection closed after \(received) bytes of the body")
        }
    }

    /// Without a socket, the test client collects the region's bytes.
    @Test func theTestClientCollectsTheRegion() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = try directory.file("source.bin", bytes: Self.bytes)
        let file = try OpenFile(source)
        let body = ResponseBody.region(of: file.descriptor, offset: 99, length: 70_000, keepingAlive: file)
        #expect(body.knownLength == 70_000)
        let collected = try await body.collect()
        #expect(Array(collected.readableBytesView) == Array(Self.bytes[99..<70_099]))
    }
}
