import NIOCore
import NIOPosix
import Synchronization

/// A broadcast for long polls: many requests wait, one `publish()` wakes them all.
///
/// A waiter costs one dictionary entry, one continuation and one entry in the notifier's deadline queue (one timer
/// per notifier, set to the earliest deadline), so 10,000 waiting requests are cheap. To avoid missing an event that happens between checking state and starting to wait, read `generation`
/// before checking and pass it as `since`: the wait then returns `.event` at once if a publish came in between.
///
/// ```swift
/// let seen = notifier.generation
/// if state.count != after { return try .json(state) }
/// let reason = await context.wait(for: notifier, since: seen, until: .now + .seconds(wait))
/// ```
public final class Notifier: Sendable {
    /// The number of publishes so far; compare to know whether something happened.
    public struct Generation: Sendable, Hashable {
        /// The raw count.
        public let value: UInt64
    }

    private struct State {
        var generation: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
        var deadlines = DeadlineQueue()
        /// The timer for `deadlines.earliest`, and the deadline it was set for.
        var timer: (task: Scheduled<Void>, deadline: ContinuousClock.Instant)?
    }

    private let state = Mutex(State())

    /// Creates a notifier with no waiters.
    public init() {}

    /// The current generation (how many times `publish` ran).
    public var generation: Generation {
        Generation(value: state.withLock { $0.generation })
    }

    /// The number of requests waiting right now (a gauge for metrics).
    public var waiterCount: Int {
        state.withLock { $0.waiters.count }
    }

    /// Wakes every current waiter with `.event`.
    public func publish() {
        let waiters = state.withLock { state in
            state.generation &+= 1
            state.deadlines.removeAll()
            state.timer?.task.cancel()
            state.timer = nil
            defer { state.waiters = [:] }
            return state.waiters
        }
        for waiter in waiters.values { waiter.resume(.event) }
    }

    /// Waits for the next publish (or one after `since`), the deadline, or `shutdown`.
    ///
    /// Timers run on `eventLoop`; cancellation of the waiting task wakes it with `.cancelled`.
    public func wait(
        since: Generation? = nil,
        until deadline: ContinuousClock.Instant,
        shutdown: ShutdownSignal? = nil,
        on eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.any()
    ) async -> WakeReason {
        await wait(since: since, until: deadline, shutdown: shutdown, closed: nil, on: eventLoop)
    }

    func wait(
        since: Generation?,
        until deadline: ContinuousClock.Instant,
        shutdown: ShutdownSignal?,
        closed: EventLoopFuture<Void>?,
        on eventLoop: any EventLoop
    ) async -> WakeReason {
        let waiter = Waiter()
        defer { disarm(waiter, until: deadline, shutdown: shutdown) }
        if let early = arm(waiter, since: since, until: deadline, shutdown: shutdown, on: eventLoop) { return early }
        closed?.whenComplete { _ in waiter.resume(.cancelled) }
        return await withTaskCancellationHandler {
            await waiter.wait()
        } onCancel: {
            waiter.resume(.cancelled)
        }
    }

    /// Starts `waiter` waiting for the next publish (or one after `since`), the deadline or `shutdown`, without a
    /// task: whichever comes first resumes it. Returns the reason when the wait is over before it began (nothing
    /// resumes `waiter` then). Either way the caller calls ``disarm(_:until:shutdown:)`` once the wait is over.
    func arm(
        _ waiter: Waiter,
        since: Generation?,
        until deadline: ContinuousClock.Instant,
        shutdown: ShutdownSignal?,
        on eventLoop: any EventLoop
    ) -> WakeReason? {
        guard register(waiter, since: since) else { return .event }
        if let shutdown, !shutdown.register(waiter) { return .shutdown }
        guard ContinuousClock.now < deadline else { return .deadline }
        addDeadline(deadline, for: waiter, on: eventLoop)
        return nil
    }

    /// Forgets `waiter` (its entry, its deadline, its place in `shutdown`); harmless for what is gone already.
    func disarm(_ waiter: Waiter, until deadline: ContinuousClock.Instant, shutdown: ShutdownSignal?) {
        remove(waiter)
        shutdown?.remove(waiter)
        removeDeadline(deadline, for: waiter)
    }

    private func addDeadline(_ deadline: ContinuousClock.Instant, for waiter: Waiter, on eventLoop: any EventLoop) {
        state.withLock { state in
            // A publish may have woken (and forgotten) this waiter already; its wait then returns at once.
            guard state.waiters[waiter.id] != nil else { return }
            state.deadlines.insert(deadline, id: waiter.id)
            setTimer(&state, on: eventLoop)
        }
    }

    private func removeDeadline(_ deadline: ContinuousClock.Instant, for waiter: Waiter) {
        state.withLock { $0.deadlines.remove(deadline, id: waiter.id) }
    }

    /// Points the timer at the earliest deadline (called with the lock held; scheduling only enqueues).
    private func setTimer(_ state: inout State, on eventLoop: any EventLoop) {
        guard let earliest = state.deadlines.earliest else {
            state.timer?.task.cancel()
            state.timer = nil
            return
        }
        if let timer = state.timer {
            if timer.deadline <= earliest { return }
            timer.task.cancel()
        }
        // At least a millisecond: NIO's clock and ContinuousClock may disagree by a hair.
        let delay = max(ContinuousClock.now.duration(to: earliest), .milliseconds(1))
        let task = eventLoop.scheduleTask(in: TimeAmount(delay)) { [weak self] () -> Void in
            guard let self else { return }
            self.fireDeadlines(on: eventLoop)
        }
        state.timer = (task, earliest)
    }

    private func fireDeadlines(on eventLoop: any EventLoop) {
        let now = ContinuousClock.now
        let expired: [Waiter] = state.withLock { state in
            state.timer = nil
            let ids = state.deadlines.popExpired(now: now)
            setTimer(&state, on: eventLoop)
            return ids.compactMap { state.waiters[$0] }
        }
        for waiter in expired { waiter.resume(.deadline) }
    }

    private func register(_ waiter: Waiter, since: Generation?) -> Bool {
        state.withLock { state in
            if let since, since.value != state.generation { return false }
            state.waiters[waiter.id] = waiter
            return true
        }
    }

    private func remove(_ waiter: Waiter) {
        _ = state.withLock { $0.waiters.removeValue(forKey: waiter.id) }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
