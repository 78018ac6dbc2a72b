import Logging
import ServiceLifecycle

/// Runs the build script of one trigger as its state changes: decides with `TriggerDecision`, runs one
/// at a time, coalesces states that arrive during a run into one more run for the newest count, and
/// remembers a count only once its run has finished (a cancelled or killed run is not remembered, so it
/// runs again after a restart).
///
/// Once the graceful shutdown of the service running it begins, no new run starts (states still buffered are
/// dropped).
///
/// It keeps nothing per run: an agent runs for months, so each report goes to the reporter (or the outbox)
/// and to `onRunFinished`, and is then dropped.
public struct TriggerLoop: Sendable {
    /// The trigger.
    public var trigger: String
    /// Where the state is remembered.
    public var store: StateStore
    /// Runs the script for a context.
    public var runScript: @Sendable (RunContext) async -> RunReport
    /// Reports runs (nil against an original server, or when reporting is off).
    public var reporter: (any RunReporting)?
    /// Keeps reports until the server accepts them, so a run that ends while the server is down (or just
    /// before the agent stops) is reported later. Without one, each report is sent once.
    public var outbox: ReportOutbox?
    /// Sleeps between delivery attempts of pending reports (injectable for tests).
    public var sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    /// A number in [0, 1) for the retry back-off's jitter (injectable for tests).
    public var random: @Sendable () -> Double = { Double.random(in: 0..<1) }
    /// Makes a run id.
    public var makeRunID: @Sendable () -> String
    /// The agent's name and host, for run contexts.
    public var agent: String
    /// The host name.
    public var host: String
    /// The log.
    public var logger: Logger
    /// Called after each run (for metrics).
    public var onRunFinished: @Sendable (RunReport, Duration) -> Void = { _, _ in }
    /// Called with each state seen (for metrics).
    public var onObservation: @Sendable (Observation) -> Void = { _ in }

    /// Makes a loop.
    public init(
        trigger: String, store: StateStore, runScript: @escaping @Sendable (RunContext) async -> RunReport,
        reporter: (any RunReporting)?, makeRunID: @escaping @Sendable () -> String, agent: String, host: String,
        logger: Logger
    ) {
        self.trigger = trigger
        self.store = store
        self.runScript = runScript
        self.reporter = reporter
        self.makeRunID = makeRunID
        self.agent = agent
        self.host = host
        self.logger = logger
    }

    /// Consumes `states` (newest-only buffering gives the coalescing) until it ends or a run is cancelled.
    /// Each run's report goes to `onRunFinished` and the reporter. With an outbox, pending reports are
    /// delivered alongside, and once more before returning.
    public func run(states: AsyncStream<PollResult>) async throws {
        guard let outbox, let reporter else { return try await consume(states, enqueued: nil) }
        let (signals, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await deliverPending(outbox, through: reporter, wakeUps: signals) }
            do {
                try await consume(states, enqueued: signal)
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
            // A last attempt, e.g. for the report of a run cancelled by SIGTERM; what fails stays on disk.
            note(await outbox.deliver(through: reporter), failing: false)
        }
    }

    /// Delivers pending reports whenever one is added, retrying with back-off (1 s to 30 s) while the server
    /// cannot take them; idle (no timer) when nothing is pending.
    func deliverPending(_ outbox: ReportOutbox, through reporter: any RunReporting, wakeUps: AsyncStream<Void>) async {
        var backoff = Backoff()
        var failing = false
        var iterator = wakeUps.makeAsyncIterator()
        while !Task.isCancelled {
            if outbox.isEmpty {
                guard await iterator.next() != nil else { return }
            }
            let delivery = await outbox.deliver(through: reporter)
            failing = note(delivery, failing: failing)
            if delivery.failure != nil {
                do { try await sleep(backoff.nextDelay(random: random)) } catch { return }
            } else {
                backoff.reset()
            }
        }
    }

    /// Logs a delivery pass: one line when reports start waiting for the server and one when they get
    /// through, plus each report refused for good. Returns whether delivery is failing now.
    @discardableResult
    func note(_ delivery: ReportOutbox.Delivery, failing: Bool) -> Bool {
        for refused in delivery.refused {
            logger.warning("[\(trigger)] run \(refused.id) not reported, the server refused it: \(refused.reason)")
        }
        if let failure = delivery.failure {
            if !failing {
                logger.warning(
                    "[\(trigger)] could not report runs yet (kept in \(outbox?.directory ?? "?")): \(failure)")
            }
            return true
        }
        if failing && !delivery.delivered.isEmpty {
            logger.info("[\(trigger)] reported \(delivery.delivered.count) pending run(s)")
        }
        return false
    }

    func consume(_ states: AsyncStream<PollResult>, enqueued: AsyncStream<Void>.Continuation?) async throws {
        var stored = try await store.read(trigger)
        for await result in states {
            let observed = result.observation
            onObservation(observed)
            switch TriggerDecision.decide(stored: stored, observed: observed) {
            case .nothing:
                continue
            case .adopt(let warning):
                let state = HandledState(trigger: trigger, epoch: observed.epoch, count: observed.count)
                try await store.write(state)
                stored = state
                if let warning {
                    logger.warning("[\(trigger)] \(warning)")
                } else {
                    logger.info("[\(trigger)] first start: adopting count \(observed.count) without running")
                }
            case .run(let count):
                if Task.isShuttingDownGracefully { return }
                let release = TriggerDecision.release(for: count, observed: result.release, stored: stored)
                if let release, var state = stored, state.running != release {
                    // Kept before the first step, so a run killed with the agent re-runs with these params.
                    state.running = release
                    try await store.write(state)
                    stored = state
                } else if let release, result.release == nil {
                    logger.info(
                        "[\(trigger)] the server sent no release with count \(count); re-running with the params kept from the interrupted run (\(release.params.keys.sorted().joined(separator: ", ")))"
                    )
                }
                let context = RunContext(
                    trigger: trigger, count: count, epoch: observed.epoch, runID: makeRunID(), agent: agent,
                    host: host, params: release?.params ?? [:],
                    // A release kept from an interrupted run of this count was read before: it still holds.
                    releaseProblem: release == nil && count == observed.count ? result.releaseProblem : nil)
                let clock = ContinuousClock()
                let start = clock.now
                let report = await runScript(context)
                onRunFinished(report, clock.now - start)
                if report.status != .cancelled {
                    let state = HandledState(trigger: trigger, epoch: observed.epoch, count: count)
                    try await store.write(state)
                    stored = state
                }
                if let reporter, result.serverProtocol == .v1 {
                    if let outbox, let enqueued {
                        do {
                            for dropped in try await outbox.keep(report) {
                                logger.warning("[\(trigger)] outbox full: dropped the report of run \(dropped)")
                            }
                            enqueued.yield()
                        } catch {
                            logger.warning(
                                "[\(trigger)] could not keep the report of run \(report.id ?? "-"): \(error)")
                        }
                    } else {
                        do {
                            try await reporter.report(report)
                        } catch {
                            logger.warning("[\(trigger)] could not report run \(report.id ?? "-"): \(error)")
                        }
                    }
                }
                if report.status == .cancelled { return }
            }
        }
    }
}
