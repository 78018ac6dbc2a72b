import HTTPCore
import Testing

@Suite(.timeLimit(.minutes(3))) struct LongPollTests {
    @Test func publishWakesEveryWaiter() async throws {
        let notifier = Notifier()
        let reasons = await withTaskGroup(of: WakeReason.self, returning: [WakeReason].self) { group in
            for _ in 0..<200 {
                group.addTask { await notifier.wait(until: .now + .seconds(30)) }
            }
            try? await eventually("200 waiters") { notifier.waiterCount >= 200 }
            notifier.publish()
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(reasons.count == 200)
        #expect(reasons.allSatisfy { $0 == .event })
        #expect(notifier.waiterCount == 0)
    }

    @Test func waitSinceAnOldGenerationReturnsAtOnce() async {
        let notifier = Notifier()
        let seen = notifier.generation
        notifier.publish()
        #expect(await notifier.wait(since: seen, until: .now + .seconds(30)) == .event)
    }

    @Test func deadlineEndsTheWait() async {
        let notifier = Notifier()
        #expect(await notifier.wait(until: .now + .milliseconds(20)) == .deadline)
        #expect(notifier.waiterCount == 0)
    }

    @Test func eachWaiterEndsAtItsOwnDeadlineOnASharedTimer() async {
        let notifier = Notifier()
        async let late = notifier.wait(until: .now + .seconds(30))
        async let soonest = notifier.wait(until: .now + .milliseconds(10))
        async let early = notifier.wait(until: .now + .milliseconds(40))
        async let earliest = notifier.wait(until: .now + .milliseconds(20))
        #expect(await earliest == .deadline)
        #expect(await soonest == .deadline)
        #expect(await early == .deadline)
        #expect(notifier.waiterCount == 1)
        notifier.publish()
        #expect(await late == .event)
        #expect(await notifier.wait(until: .now + .milliseconds(15)) == .deadline)
    }

    @Test func shutdownSignalWakesWaitersAndLaterWaitsReturnAtOnce() async {
        let notifier = Notifier()
        let shutdown = ShutdownSignal()
        async let reason = notifier.wait(until: .now + .seconds(30), shutdown: shutdown)
        try? await eventually("a waiter") { notifier.waiterCount >= 1 }
        shutdown.trigger()
        #expect(await reason == .shutdown)
        #expect(await notifier.wait(until: .now + .seconds(30), shutdown: shutdown) == .shutdown)
    }

    @Test func cancellingTheWaitingTaskWakesIt() async {
        let notifier = Notifier()
        let task = Task { await notifier.wait(until: .now + .seconds(30)) }
        try? await eventually("a waiter") { notifier.waiterCount >= 1 }
        task.cancel()
        #expect(await task.value == .cancelled)
    }

    @Test func contextWaitForAConditionReportsWhichCameFirst() async {
        let context = RequestContext(logger: .init(label: "test"))
        #expect(await context.wait(until: .now + .seconds(30)) {} == .event)
        let deadline = await context.wait(until: .now + .milliseconds(20)) {
            try await Task.sleep(for: .seconds(30))
        }
        #expect(deadline == .deadline)
    }

    @Test func contextWaitAnswersShutdown() async {
        let signal = ShutdownSignal()
        let context = RequestContext(logger: .init(label: "test"), shutdownSignal: signal)
        let notifier = Notifier()
        async let reason = context.wait(for: notifier, until: .now + .seconds(30))
        try? await eventually("a waiter") { notifier.waiterCount >= 1 }
        signal.trigger()
        #expect(await reason == .shutdown)
        #expect(context.isShuttingDown)
    }
}
