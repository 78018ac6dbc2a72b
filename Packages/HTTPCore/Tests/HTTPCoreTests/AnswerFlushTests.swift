import Dispatch
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOPosix
import Testing

@testable import HTTPCore

/// Answers made on the event loop are written at once and flushed at the end of the event loop's round: every
/// connection read in the round is answered before any answer goes out. A close never drops an answer written but
/// not yet flushed.
///
/// Driven on an `EmbeddedChannel`, whose event loop runs its tasks only when told to: the "end of the round" is
/// `loop.run()`, so the tests can look between the write and the flush.
@Suite(.timeLimit(.minutes(1))) struct AnswerFlushTests {
    static let request = "GET /plain HTTP/1.1\r\nHost: x\r\n\r\n"

    /// A channel with the server's pipeline up to the responder: the guard's raw bytes handler, the decoder, and
    /// the responder.
    static func makeChannel() throws -> (EmbeddedChannel, EmbeddedEventLoop) {
        let server = HTTPServer(router: Self.router(), logger: Logger(label: "answer-flush-tests"))
        let guardian = ConnectionGuard(
            limits: .init(headerRead: .seconds(60), request: nil, idle: .seconds(60), maxHeaderBytes: 16_384))
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(guardian.rawBytesHandler)
        try sync.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
        try sync.addHandler(ImmediateResponder(server: server, guardian: guardian, handoff: ConnectionHandoff()))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        return (channel, loop)
    }

    /// Delivers `text` as one read, without running the loop's tasks (`writeInbound` would not run them either,
    /// but this says so).
    static func read(_ text: String, into channel: EmbeddedChannel) {
        channel.pipeline.syncOperations.fireChannelRead(NIOAny(ByteBuffer(string: text)))
        channel.pipeline.syncOperations.fireChannelReadComplete()
    }

    /// Everything flushed so far, as text.
    static func flushed(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    /// Two pipelined requests are answered at once, and both answers go out, in order, when the round ends.
    @Test func answersGoOutAtTheEndOfTheRound() throws {
        let (channel, loop) = try Self.makeChannel()
        Self.read(Self.request + Self.request, into: channel)
        #expect(try Self.flushed(channel).isEmpty, "flushed before the round ended")
        loop.run()
        let answers = completeResponses(in: try Self.flushed(channel))
        #expect(answers.count == 2)
        #expect(answers.allSatisfy { $0.hasPrefix("HTTP/1.1 200 OK") && $0.hasSuffix("plain") })
        #expect(try channel.finish().isClean)
    }

    /// A graceful shutdown in the same round as an answer: the responder closes the idle connection, and the
    /// answer goes out before the close.
    @Test func aShutdownInTheSameRoundSendsTheAnswerFirst() throws {
        let (channel, loop) = try Self.makeChannel()
        Self.read(Self.request, into: channel)
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(!channel.isActive)
        let answers = completeResponses(in: try Self.flushed(channel))
        #expect(answers.count == 1)
        #expect(answers.first?.hasSuffix("plain") == true)
        loop.run()
    }

    /// A close from the far end of the pipeline (the channel's own `close`, as a timer or the server's stop closes)
    /// in the same round as an answer: the answer goes out first.
    @Test func aCloseInTheSameRoundSendsTheAnswerFirst() throws {
        let (channel, loop) = try Self.makeChannel()
        Self.read(Self.request, into: channel)
        try channel.close().wait()
        let answers = completeResponses(in: try Self.flushed(channel))
        #expect(answers.count == 1)
        #expect(answers.first?.hasSuffix("plain") == true)
        loop.run()
    }

    /// A client that sends its request and closes its side at once (`shutdown(SHUT_WR)`, as `nc -N` does) gets its
    /// answer: the request and the end of its input arrive in the same round, and the server's input closing must
    /// not drop the answer written in that round.
    ///
    /// The server's only event loop is held while the client sends both, so that they are read in one round.
    @Test func aClientThatClosesItsSideAfterItsRequestGetsTheAnswer() async throws {
        let serverLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let text = try await withTestServer(Self.router(), eventLoopGroup: serverLoops) { _, port in
            try await Self.sendThenShut(Self.request, port: port, holding: serverLoops.next())
        }
        try await serverLoops.shutdownGracefully()
        let answers = completeResponses(in: text)
        #expect(answers.count == 1, "answer: \(text.debugDescription)")
        #expect(answers.first?.hasSuffix("plain") == true)
    }

    /// A client that ends its input in the middle of a request gets no answer and the connection closes, as before
    /// the server allowed half-closure: the peer's EOF is handled before the decoder, which then reports the
    /// unfinished request on a closed connection (not a 400 written to a client that went away).
    @Test func aClientThatEndsItsInputMidRequestGetsNoAnswer() async throws {
        let text = try await withTestServer(Self.router()) { server, port in
            let received = try await Self.sendThenShut("GET /plain HTTP/1.1\r\nHo", port: port)
            try await eventually("the connection is gone") { server.connectionCount == 0 }
            return received
        }
        #expect(text.isEmpty, "answered: \(text.debugDescription)")
    }

    /// A router with `GET /plain`, answered on the event loop.
    static func router() -> Router {
        var router = Router()
        router.synchronous(.GET, "/plain") { _, _ in HTTPResponse(text: "plain") }
        return router
    }

    /// Connects, writes `text` to the socket and shuts the client's side (`shutdown(SHUT_WR)`), then reads until the
    /// server closes; returns what it read. With `holding`, that event loop (the server's only one) is held until
    /// both are sent, so that the server reads them in one round.
    static func sendThenShut(_ text: String, port: Int, holding loop: (any EventLoop)? = nil) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
        return try await channel.executeThenClose { inbound, _ in
            let gate = DispatchSemaphore(value: 0)
            let held = loop?.submit { gate.wait() }
            do {
                defer { gate.signal() }
                try await channel.channel.writeAndFlush(ByteBuffer(string: text)).get()
                try await channel.channel.close(mode: .output).get()
            }
            try await held?.get()
            var received = ""
            for try await chunk in inbound { received += String(buffer: chunk) }
            return received
        }
    }

    /// Over TLS, where answers are flushed at once and the server does not allow half-closure (NIOSSL would wait out
    /// its shutdown timer, 5 s, on every close), a connection ends as soon as either side closes it: the server after
    /// a `Connection: close` answer, and the client going away.
    @Test func aTLSConnectionEndsPromptlyWhenEitherSideCloses() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (certificate, tls) = try TestCertificate.files(in: directory)
        try await withTestServer(Self.router(), configure: { $0.tls = tls }) { server, port in
            try await HTTPClient.withHTTPClient(configuration: .init(caFilePath: certificate)) { client in
                let closing = try await client.execute(
                    .GET, "https://127.0.0.1:\(port)/plain", headers: ["connection": "close"])
                #expect(closing.text == "plain")
                try await eventually("the server's close ends the connection", timeout: .seconds(3)) {
                    server.connectionCount == 0
                }
                let kept = try await client.execute(.GET, "https://127.0.0.1:\(port)/plain")
                #expect(kept.text == "plain")
                #expect(server.connectionCount == 1)
            }
            try await eventually("the client's close ends the connection", timeout: .seconds(3)) {
                server.connectionCount == 0
            }
        }
    }
}
