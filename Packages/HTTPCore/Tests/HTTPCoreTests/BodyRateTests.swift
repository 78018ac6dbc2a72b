import Foundation
import HTTPCore
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(3))) struct BodyRateTests {
    /// The probe declared `Content-Length: 60000` and sent a byte a second, holding the connection for over 90 s
    /// (the request timeout is long, for deploy waits). The body deadline and minimum rate cut it, and say so.
    @Test func tricklingBodyIsCutAndCounted() async throws {
        let reasons = Recorder()
        try await withTestServer(
            ConnectionTests.makeRouter(),
            configure: {
                $0.requestTimeout = .seconds(600)
                $0.bodyReadTimeout = .milliseconds(300)
                $0.minimumBodyRate = 1000
                $0.onTimeout = { reasons.record($0.rawValue) }
            }
        ) { _, port in
            let connection = try await RawConnection.connect(port: port)
            let closed = try await connection.channel.executeThenClose { inbound, outbound in
                try await outbound.write(
                    ByteBuffer(string: "POST /count HTTP/1.1\r\nHost: x\r\ncontent-length: 60000\r\n\r\n"))
                return try await withThrowingTaskGroup(of: Bool.self) { group in
                    group.addTask {
                        // The server closes with trickled bytes unread, so the kernel may send a reset instead of
                        // an orderly end: either is the connection closing.
                        do { for try await _ in inbound {} } catch let error as IOError
                            where error.errnoCode == ECONNRESET
                        {}
                        return true
                    }
                    group.addTask {
                        // One byte every 50 ms (20 B/s): far below the minimum rate, never a pause long enough
                        // for another timer. Stops when the server closes (the write fails).
                        while true {
                            try await Task.sleep(for: .milliseconds(50))
                            do { try await outbound.write(ByteBuffer(string: "x")) } catch { return true }
                        }
                    }
                    defer { group.cancelAll() }
                    return try await group.next() ?? false
                }
            }
            #expect(closed)
            try await eventually("the close to be reported") { !reasons.entries.isEmpty }
            #expect(reasons.entries == ["body_too_slow"])
        }
    }

    /// A body sent steadily above the minimum rate outlives the initial body deadline.
    @Test func steadyBodyOutlivesTheBodyDeadline() async throws {
        let reasons = Recorder()
        try await withTestServer(
            ConnectionTests.makeRouter(),
            configure: {
                $0.bodyReadTimeout = .milliseconds(200)
                $0.minimumBodyRate = 1000
                $0.onTimeout = { reasons.record($0.rawValue) }
            }
        ) { _, port in
            let connection = try await RawConnection.connect(port: port)
            let text = try await connection.channel.executeThenClose { inbound, outbound in
                try await outbound.write(
                    ByteBuffer(string: "POST /count HTTP/1.1\r\nHost: x\r\ncontent-length: 20000\r\n\r\n"))
                // 2,000 bytes every 50 ms (40 kB/s) for half a second: well past the 200 ms deadline.
                for _ in 0..<10 {
                    try await outbound.write(ByteBuffer(repeating: UInt8(ascii: "x"), count: 2000))
                    try await Task.sleep(for: .milliseconds(50))
                }
                var text = ""
                for try await chunk in inbound {
                    text += String(buffer: chunk)
                    if text.hasSuffix("\r\n\r\n20000") { break }
                }
                return text
            }
            #expect(text.hasPrefix("HTTP/1.1 200"))
            #expect(reasons.entries.isEmpty)
        }
    }
}
