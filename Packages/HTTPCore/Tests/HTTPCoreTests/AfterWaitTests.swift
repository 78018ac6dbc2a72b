import HTTPCore
import HTTPCoreTesting
import NIOCore
import Testing

/// A handler that answers `HTTPResponse.afterWait` leaves its wait to the router: its answer runs once, whatever ends
/// the wait, and every middleware sees that answer, as it sees any other.
@Suite(.timeLimit(.minutes(2))) struct AfterWaitTests {
    /// What the routes below wait on, and what their answers saw.
    final class Setup: Sendable {
        let notifier = Notifier()
        let answers = Recorder()
    }

    /// Records the status and body each request ends with, as a middleware sees them.
    struct Observing: HTTPResponseObserver {
        let log: Recorder

        func observe(_ request: HTTPRequest, _ response: HTTPResponse, since start: ContinuousClock.Instant) {
            // A body whose length is unknown here would be the wait itself (bytes are what these routes answer).
            let unfinished = response.body.knownLength == nil ? " unfinished" : ""
            log.record("\(request.route ?? "-") \(response.status.code)\(unfinished)")
        }
    }

    static func makeRouter(_ setup: Setup, plainMiddleware: Bool = false, observed: Recorder = Recorder()) -> Router {
        var router = Router()
        router.add(middleware: Observing(log: observed))
        if plainMiddleware { router.add(middleware: RouterTests.RecordingMiddleware(log: Recorder())) }
        router.get("/wait/:ms") { request, _ in
            let milliseconds = Int(request.parameters["ms"] ?? "") ?? 0
            return .afterWait(
                for: setup.notifier, since: setup.notifier.generation, until: .now + .milliseconds(milliseconds)
            ) { reason in
                setup.answers.record("\(reason)")
                return HTTPResponse(text: "woke: \(reason)")
            }
        }
        router.get("/fails") { _, _ in
            .afterWait(for: setup.notifier, since: setup.notifier.generation, until: .now) { reason in
                setup.answers.record("\(reason)")
                throw HTTPError(.conflict, error: "late", detail: "the answer after the wait failed")
            }
        }
        router.synchronous(.GET, "/synchronous") { _, _ in
            .afterWait(for: setup.notifier, since: setup.notifier.generation, until: .now) { reason in
                setup.answers.record("synchronous \(reason)")
                return HTTPResponse(text: "never")
            }
        }
        return router
    }

    /// A publish ends the wait; the answer runs once, after it, and the middleware sees that answer, with the chain
    /// (a plain middleware) and without it (observers only).
    @Test(arguments: [false, true]) func aPublishEndsTheWaitAndTheMiddlewareSeesTheAnswer(plainMiddleware: Bool)
        async throws
    {
        let setup = Setup()
        let observed = Recorder()
        let router = Self.makeRouter(setup, plainMiddleware: plainMiddleware, observed: observed)
        try await router.test { client in
            async let response = client.execute(.GET, "/wait/30000")
            try await eventually("the request waits") { setup.notifier.waiterCount == 1 }
            #expect(setup.answers.entries.isEmpty)
            #expect(observed.entries.isEmpty)
            setup.notifier.publish()
            let answered = try await response
            #expect(answered.status == .ok)
            #expect(String(buffer: answered.body) == "woke: event")
        }
        #expect(setup.answers.entries == ["event"])
        #expect(observed.entries == ["/wait/:ms 200"])
    }

    /// The deadline ends the wait too; an answer that throws is rendered as a handler's error is.
    @Test func theDeadlineEndsTheWaitAndAnAnswerThatThrowsIsRendered() async throws {
        let setup = Setup()
        let observed = Recorder()
        try await Self.makeRouter(setup, observed: observed).test { client in
            let late = try await client.execute(.GET, "/wait/20")
            #expect(String(buffer: late.body) == "woke: deadline")
            let failed = try await client.execute(.GET, "/fails")
            #expect(failed.status == .conflict)
            #expect(String(buffer: failed.body).contains("the answer after the wait failed"))
        }
        #expect(setup.answers.entries == ["deadline", "deadline"])
        #expect(observed.entries == ["/wait/:ms 200", "/fails 409"])
    }

    /// A client that goes away during the wait ends it, and the answer still runs (a handler's bookkeeping before the
    /// wait is undone there); a shutdown ends it the same way.
    @Test func theAnswerRunsWhenTheClientGoesAwayOrTheServerStops() async throws {
        let setup = Setup()
        try await withTestServer(Self.makeRouter(setup)) { server, port in
            let connection = try await RawConnection.connect(port: port)
            try await connection.channel.executeThenClose { _, outbound in
                try await outbound.write(ByteBuffer(string: "GET /wait/30000 HTTP/1.1\r\nHost: x\r\n\r\n"))
                try await eventually("the request waits") { setup.notifier.waiterCount == 1 }
            }
            try await eventually("the answer ran") { setup.answers.entries == ["cancelled"] }
            #expect(setup.notifier.waiterCount == 0)

            async let stopped = RawConnection.exchange(
                port: port, sending: "GET /wait/30000 HTTP/1.1\r\nHost: x\r\n\r\n"
            ) { $0.hasSuffix("woke: shutdown") }
            try await eventually("the request waits") { setup.notifier.waiterCount == 1 }
            server.triggerGracefulShutdown()
            #expect(try await stopped.text.hasSuffix("woke: shutdown"))
        }
        #expect(setup.answers.entries == ["cancelled", "shutdown"])
    }

    /// A synchronous route cannot wait: it is answered 500, and its answer never runs.
    @Test func aSynchronousRouteThatWaitsIs500() async throws {
        let setup = Setup()
        try await withTestServer(Self.makeRouter(setup)) { _, port in
            let (text, _) = try await RawConnection.exchange(
                port: port, sending: "GET /synchronous HTTP/1.1\r\nHost: x\r\n\r\n"
            ) { completeResponses(in: $0).count == 1 }
            #expect(text.hasPrefix("HTTP/1.1 500 "))
        }
        #expect(setup.answers.entries.isEmpty)
    }
}
