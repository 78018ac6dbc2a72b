import HTTPCore
import Logging
import NIOCore
import NIOPosix

/// Runs an `HTTPServer` on an ephemeral loopback port for the duration of `body`, then shuts it down gracefully.
func withTestServer<Result: Sendable>(
    _ router: Router,
    configure: (inout HTTPServer.Configuration) -> Void = { _ in },
    eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
    _ body: @Sendable (HTTPServer, Int) async throws -> Result
) async throws -> Result {
    var configuration = HTTPServer.Configuration(host: "127.0.0.1", port: 0, accessLogLevel: nil)
    configure(&configuration)
    let server = HTTPServer(
        router: router, configuration: configuration, logger: Logger(label: "test-server"),
        eventLoopGroup: eventLoopGroup)
    return try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask {
            try await server.run()
            return nil
        }
        let port = try await server.port
        let result: Result
        do {
            result = try await body(server, port)
        } catch {
            server.triggerGracefulShutdown()
            try await group.waitForAll()
            throw error
        }
        server.triggerGracefulShutdown()
        try await group.waitForAll()
        return result
    }
}

/// A raw TCP connection for tests that need byte-level control (slow clients, pipelining).
struct RawConnection {
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>

    /// Connects to the test server; a small `receiveBuffer` keeps the kernel from absorbing a big response.
    static func connect(port: Int, receiveBuffer: Int? = nil) async throws -> RawConnection {
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        if let receiveBuffer {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBuffer))
        }
        let channel =
            try await bootstrap
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return RawConnection(channel: channel)
    }

    /// Sends `text`, then reads until `done` says the text so far is complete, the peer closes, or `timeout`.
    ///
    /// Returns what was read and whether the peer closed the connection.
    static func exchange(
        port: Int,
        sending text: String,
        timeout: Duration = .seconds(10),
        until done: @escaping @Sendable (String) -> Bool = { _ in false }
    ) async throws -> (text: String, closed: Bool) {
        let connection = try await connect(port: port)
        return try await connection.channel.executeThenClose { inbound, outbound in
            if !text.isEmpty { try await outbound.write(ByteBuffer(string: text)) }
            return try await withThrowingTaskGroup(of: (String, Bool)?.self) { group in
                group.addTask {
                    var received = ""
                    for try await chunk in inbound {
                        received += String(buffer: chunk)
                        if done(received) { return (received, false) }
                    }
                    return (received, true)
                }
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    return nil
                }
                let first = try await group.next()!
                group.cancelAll()
                guard let first else { throw TimedOut() }
                return first
            }
        }
    }

    struct TimedOut: Error {}
}

/// Counts complete HTTP responses with `Content-Length` bodies in `text` (enough for the tests' small responses).
/// Reads from `iterator` into `text` until `text` holds at least `count` complete responses, or the stream ends.
func readResponses(
    _ count: Int = 1, from iterator: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
    into text: inout String
) async throws {
    while completeResponses(in: text).count < count, let chunk = try await iterator.next() {
        text += String(buffer: chunk)
    }
}

/// Reads from `iterator` into `text` until the peer closes the stream.
func readToEnd(from iterator: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, into text: inout String)
    async throws
{
    while let chunk = try await iterator.next() { text += String(buffer: chunk) }
}

func completeResponses(in text: String) -> [String] {
    var responses: [String] = []
    var rest = Substring(text)
    while let headEnd = rest.range(of: "\r\n\r\n") {
        let head = rest[..<headEnd.lowerBound]
        let lengthLine = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
        let length = lengthLine.flatMap { Int($0.split(separator: ":")[1].filter { $0 != " " }) } ?? 0
        let bodyStart = headEnd.upperBound
        guard rest.utf8.distance(from: bodyStart, to: rest.endIndex) >= length else { break }
        let bodyEnd = rest.utf8.index(bodyStart, offsetBy: length)
        responses.append(String(rest[rest.startIndex..<bodyEnd]))
        rest = rest[bodyEnd...]
    }
    return responses
}
