import NIOCore
import Synchronization
import Testing

@testable import HTTPCore

/// A route added with `Router.immediate` is answered on the connection's event loop, and its long poll waits there:
/// no task per connection. Declined requests and answers that must suspend go to the connection's task.
@Suite(.timeLimit(.minutes(2))) struct ImmediateWaitTests {
    /// What the routes below wait on, and what they saw.
    final class Setup: Sendable {
        let notifier = Notifier()
        /// Each run of a route's immediate handler, and each wait's answer.
        let calls = Recorder()
        /// The answers the middleware saw.
        let observed = Recorder()
        /// Whether `/poll`'s answer after the wait declines (for `otherwise`).
        let declineAfterWait = Atomic<Bool>(false)
    }

    struct Observing: HTTPResponseObserver {
        let log: Recorder

        func observe(_ request: HTTPRequest, _ response: HTTPResponse, since start: ContinuousClock.Instant) {
            let unfinished = response.body.knownLength == nil ? " unfinished" : ""
            log.record("\(request.route ?? "-") \(response.status.code)\(unfinished)")
        }
    }

    static func makeRouter(_ setup: Setup) -> Router {
        var router = Router()
        router.add(middleware: Observing(log: setup.observed))
        // Waits up to `ms`; answers with the reason (or, told to, declines after the wait).
        router.immediate(
            .GET, "/poll/:ms",
            { request, _ in
                setup.calls.record("poll")
                let milliseconds = Int(request.parameters["ms"] ?? "") ?? 0
                return .afterWait(
                    for: setup.notifier, since: setup.notifier.generation, until: .now + .milliseconds(milliseconds),
                    immediately: { reason in
                        setup.calls.record("woke \(reason)")
                        if setup.declineAfterWait.load(ordering: .relaxed) { return nil }
                        return HTTPResponse(text: "woke: \(reason)")
                    },
                    otherwise: {
                        setup.calls.record("later")
                        return HTTPResponse(text: "later")
                    })
            },
            otherwise: { _, _ in
                setup.calls.record("otherwise")
                return HTTPResponse(text: "never declined")
            })
        // Declines on the event loop: answered on the connection's task.
        router.immediate(
            .GET, "/declines",
            { _, _ in
                setup.calls.record("declines")
                return nil
            },
            otherwise: { _, _ in
                setup.calls.record("otherwise")
                return HTTPResponse(text: "from the task")
            })
        router.immediate(
            .GET, "/fails",
            { _, _ in
                .afterWait(
                    for: setup.notifier, since: setup.notifier.generation, until: .now,
                    immediately: { _ in throw HTTPError(.conflict, error: "late", detail: "the answer failed") },
                    otherwise: { HTTPResponse(text: "never") })
            },
            otherwise: { _, _ in HTTPResponse(text: "never") })
        router.synchronous(.GET, "/plain") { _, _ in HTTPResponse(text: "plain") }
        return router
    }

    static let poll = "GET /poll/30000 HTTP/1.1\r\nHost: x\r\n\r\n"

    /// A publish wakes the poll on its event loop; the answer runs once, the middleware sees it, and the connection
    /// (keep-alive, polling twice) never gets a task.
    @Test func aPublishWakesAPollThatHasNoTask() async throws {
        let setup = Setup()
        try await withTestServer(Self.makeRouter(setup)) { server, port in
            let connection = try await RawConnection.connect(port: port)
            try await connection.channel.executeThenClose { inbound, outbound in
                var iterator = inbound.makeAsyncIterator()
                var text = ""
                for round in 1...2 {
                    try await outbound.write(ByteBuffer(string: Self.poll))
                    try await eventually("the poll waits") { setup.notifier.waiterCount == 1 }
                    #expect(completeResponses(in: text).count == round - 1)
                    setup.notifier.publish()
                    try await readResponses(round, from: &iterator, into: &text)
                }
                let answers = completeResponses(in: text)
                #expect(answers.count == 2)
                #expect(answers.allSatisfy { $0.hasPrefix("HTTP/1.1 200 OK") && $0.hasSuffix("woke: event") })
            }
            #expect(server.startedTasks.load(ordering: .relaxed) == 0)
        }
        #expect(setup.calls.entries == ["poll", "woke event", "poll", "woke event"])
        #expect(setup.observed.entries == ["/poll/:ms 200", "/poll/:ms 200"])
    }

    /// The deadline ends the wait; an answer that throws is rendered as a handler's error is, and observed.
    @Test func theDeadlineEndsTheWaitAndAThrowingAnswerIsRendered() async throws {
        let setup = Setup()
        try await withTestServer(Self.makeRouter(setup)) { server, port in
            let (late, _) = try await RawConnection.exchange(
                port: port, sending: "GET /poll/30 HTTP/1.1\r\nHost: x\r\n\r\n"
            ) { completeResponses(in: $0).count == 1 }
            #expect(late.hasSuffix("woke: deadline"))
            let (failed, _) = try await RawConnection.exchange(
                port: port, sending: "GET /fails HTTP/1.1\r\nHost: x\r\n\r\n"
            ) { completeResponses(in: $0).count == 1 }
            #expect(failed.hasPrefix("HTTP/1.1 409 "))
            #expect(failed.contains("the answer failed"))
            #expect(server.startedTasks.load(ordering: .relaxed) == 0)
        }
        #expect(setup.observed.entries == ["/poll/:ms 200", "/fails 409"])
    }

    /// A client that goes away ends the wait: the answer runs (with `cancelled`) and nothing is left waiting.
    @Test func aClientThatGoesAwayEndsTheWait() async throws {
        let setup = Setup()
        try await withTestServer(Self.makeRouter(setup)) { server, port in
            let connection = try await RawConnection.connect(port: port)
            try await connection.channel.executeThenClose { _, outbound in
                try await outbound.write(ByteBuffer(string: Self.poll))
                try await eventually("the poll waits") { setup.notifier.waiterCount == 1 }
            }
            try await eventually("the answer ran") { setup.calls.entries == ["poll", "woke cancelled"] }
            #expect(setup.notifier.waiterCount == 0)
            try await eventually("the connection is gone") { server.connectionCount == 0 }
        }
    }

    /// A graceful shutdown answers a waiting poll with `Connection: close`, and the server stops although the
    /// connection never had a task to wait for.
    @Test func aShutdownAnswersTheWaitAndTheServerStops() async throws {
        let setup = Setup()
        try await withTestServer(Self.makeRouter(setup)) { server, port in
            async let stopped = RawConnection.exchange(port: port, sending: Self.poll) { _ in false }
            try await eventually("the poll waits") { setup.notifier.waiterCount == 1 }
            server.triggerGracefulShutdown()
            let (text, closed) = try await stopped
            #expect(closed)
            #expect(text.hasSuffix("woke: shutdown"))
            #expect(text.lowercased().contains("connection: close"))
            #expect(server.startedTasks.load(ordering: .relaxed) == 0)
        }
        #expect(setup.calls.entries == ["poll", "woke shutdown"])
    }

    /// A request its immediate handler declines is answered on the connection's task, which runs the handler again
    /// and then `otherwise`; the middleware sees that answer once.
    @Test func aDeclinedRequestIsAnsweredByTheTask() async throws {
        let setup = Setup()
        try await withTestServer(Self.makeRouter(setup)) { server, port in
            let (text, _) = try await RawConnection.exchange(
                port: port, sending: "GET /declines HTTP/1.1\r\nHost: x\r\n\r\nGET /plain HTTP/1.1\r\nHost: x\r\n\r\n"
            ) { completeResponses(in: $0).count == 2 }
            let answers = completeResponses(in: text)
            #expect(answers.first?.hasSuffix("from the task") == true)
            #expect(answers.last?.hasSuffix("plain") == true)
            #expect(server.startedTasks.load(ordering: .relaxed) == 1)
        }
        #expect(setup.calls.entries == ["declines", "declines", "otherwise"])
        #expect(setup.observed.entries == ["/declines 200", "/plain 200"])
    }

    /// An answer after the wait that declines is made by `otherwise` on the connection's task, without routing the
    /// request again; the connection then serves on.
    @Test func anAnswerThatMustSuspendIsMadeByTheTask() async throws {
        let setup = Setup()
        setup.declineAfterWait.store(true, ordering: .relaxed)
        try await withTestServer(Self.makeRouter(setup)) { server, port in
            let connection = try await RawConnection.connect(port: port)
            try await connection.channel.executeThenClose { inbound, outbound in
                var iterator = inbound.makeAsyncIterator()
                var text = ""
                try await outbound.write(ByteBuffer(string: Self.poll))
                try await eventually("the poll waits") { setup.notifier.waiterCount == 1 }
                setup.notifier.publish()
                try await readResponses(1, from: &iterator, into: &text)
                try await outbound.write(ByteBuffer(string: "GET /plain HTTP/1.1\r\nHost: x\r\n\r\n"))
                try await readResponses(2, from: &iterator, into: &text)
                let answers = completeResponses(in: text)
                #expect(answers.first?.hasSuffix("later") == true)
                #expect(answers.last?.hasSuffix("plain") == true)
            }
            #expect(server.startedTasks.load(ordering: .relaxed) == 1)
        }
        #expect(setup.calls.entries == ["poll", "woke event", "later"])
        #expect(setup.observed.entries == ["/poll/:ms 200", "/plain 200"])
    }

    /// Requests pipelined behind a waiting poll are held, then answered in order after it.
    @Test func requestsPipelinedBehindAWaitingPollAreAnsweredAfterIt() async throws {
        let setup = Setup()
        try await withTestServer(Self.makeRouter(setup)) { _, port in
            let sent =
                Self.poll + "GET /plain HTTP/1.1\r\nHost: x\r\n\r\n" + "GET /declines HTTP/1.1\r\nHost: x\r\n\r\n"
            async let exchanged = RawConnection.exchange(port: port, sending: sent) {
                completeResponses(in: $0).count == 3
            }
            try await eventually("the poll waits") { setup.notifier.waiterCount == 1 }
            // Nothing behind the poll was answered or even started.
            #expect(setup.observed.entries.isEmpty)
            #expect(setup.calls.entries == ["poll"])
            setup.notifier.publish()
            let answers = completeResponses(in: try await exchanged.text)
            #expect(answers.count == 3)
            #expect(answers[0].hasSuffix("woke: event"))
            #expect(answers[1].hasSuffix("plain"))
            #expect(answers[2].hasSuffix("from the task"))
        }
        #expect(setup.observed.entries == ["/poll/:ms 200", "/plain 200", "/declines 200"])
    }

    /// A connection without a task has none of NIO's HTTP handlers behind the event loop's: a malformed request is
    /// still answered 400, after the answers before it, and the connection closes.
    @Test func aMalformedRequestOnAConnectionWithoutATaskIs400() async throws {
        let setup = Setup()
        try await withTestServer(Self.makeRouter(setup)) { server, port in
            let (text, closed) = try await RawConnection.exchange(
                port: port, sending: "GET /plain HTTP/1.1\r\nHost: x\r\n\r\nNOT HTTP AT ALL\r\n\r\n"
            ) { _ in false }
            #expect(closed)
            let answers = completeResponses(in: text)
            #expect(answers.count == 2)
            #expect(answers.first?.hasSuffix("plain") == true)
            #expect(answers.last?.hasPrefix("HTTP/1.1 400 Bad Request\r\n") == true)
            #expect(answers.last?.lowercased().contains("connection: close") == true)
            #expect(server.startedTasks.load(ordering: .relaxed) == 0)
        }
    }

    /// A malformed request pipelined behind a waiting poll closes the connection; the poll's wait ends with it
    /// (its answer runs, as for a client that goes away) and nothing is left waiting.
    @Test func aMalformedRequestBehindAWaitingPollEndsItsWait() async throws {
        let setup = Setup()
        try await withTestServer(Self.makeRouter(setup)) { _, port in
            let (text, closed) = try await RawConnection.exchange(
                port: port, sending: Self.poll + "NOT HTTP AT ALL\r\n\r\n"
            ) { _ in false }
            #expect(closed)
            #expect(text.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
            try await eventually("the poll's answer ran") { setup.calls.entries == ["poll", "woke cancelled"] }
            #expect(setup.notifier.waiterCount == 0)
        }
    }

    /// An idle keep-alive connection without a task is closed at a graceful shutdown, as NIO's pipeline handler
    /// closes one with a task (the shutdown and idle timeouts are long here: only that close can end the test within
    /// its time limit).
    @Test func anIdleConnectionWithoutATaskClosesAtAShutdown() async throws {
        let setup = Setup()
        let patient: (inout HTTPServer.Configuration) -> Void = {
            $0.shutdownTimeout = .seconds(600)
            $0.idleTimeout = .seconds(600)
        }
        try await withTestServer(Self.makeRouter(setup), configure: patient) { server, port in
            let connection = try await RawConnection.connect(port: port)
            try await connection.channel.executeThenClose { inbound, outbound in
                var iterator = inbound.makeAsyncIterator()
                var text = ""
                try await outbound.write(ByteBuffer(string: "GET /plain HTTP/1.1\r\nHost: x\r\n\r\n"))
                try await readResponses(1, from: &iterator, into: &text)
                server.triggerGracefulShutdown()
                try await readToEnd(from: &iterator, into: &text)
                #expect(completeResponses(in: text).count == 1)
            }
            #expect(server.startedTasks.load(ordering: .relaxed) == 0)
        }
    }

    /// Without a socket (or with middleware that is not an observer) the route is an async route: the same answers.
    @Test func withoutASocketTheRouteAnswersTheSame() async throws {
        let setup = Setup()
        let router = Self.makeRouter(setup)
        let context = RequestContext(logger: .init(label: "test"))
        async let waited = router.respond(
            to: HTTPRequest(method: .GET, uri: "/poll/30000"), context: context)
        try await eventually("the poll waits") { setup.notifier.waiterCount == 1 }
        setup.notifier.publish()
        #expect(String(buffer: try await waited.body.collect(upTo: 100)) == "woke: event")
        let declined = await router.respond(to: HTTPRequest(method: .GET, uri: "/declines"), context: context)
        #expect(String(buffer: try await declined.body.collect(upTo: 100)) == "from the task")
        #expect(setup.calls.entries == ["poll", "woke event", "declines", "otherwise"])
    }
}
