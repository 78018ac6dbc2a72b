import HTTPCore
import Logging
import NIOCore
import ServiceLifecycle
import Testing

@Suite(.timeLimit(.minutes(3))) struct LifecycleTests {
    @Test func serviceGroupShutdownAnswersLongPollsAndStopsTheServer() async throws {
        let notifier = Notifier()
        let server = HTTPServer(
            router: ServerTests.makeRouter(notifier: notifier),
            configuration: .init(port: 0, accessLogLevel: nil),
            logger: Logger(label: "test")
        )
        let group = ServiceGroup(services: [server], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let port = try await server.port
            async let poll = RawConnection.exchange(port: port, sending: "GET /poll HTTP/1.1\r\nHost: x\r\n\r\n")
            try await eventually("a waiter") { notifier.waiterCount >= 1 }
            await group.triggerGracefulShutdown()
            let (text, closed) = try await poll
            #expect(text.hasSuffix("woke: shutdown"))
            #expect(closed)
            try await tasks.waitForAll()
        }
        await #expect(throws: (any Error).self) { _ = try await server.localAddress }
    }

    @Test func longPollStopsWaitingWhenTheClientLeaves() async throws {
        let notifier = Notifier()
        try await withTestServer(ServerTests.makeRouter(notifier: notifier)) { _, port in
            let connection = try await RawConnection.connect(port: port)
            try await connection.channel.executeThenClose { _, outbound in
                try await outbound.write(ByteBuffer(string: "GET /poll HTTP/1.1\r\nHost: x\r\n\r\n"))
                try await eventually("a waiter") { notifier.waiterCount >= 1 }
            }
            // The waiter is released by the close, not by the 30 s deadline.
            try await eventually("the waiters to be answered") { notifier.waiterCount == 0 }
            #expect(notifier.waiterCount == 0)
        }
    }
}
