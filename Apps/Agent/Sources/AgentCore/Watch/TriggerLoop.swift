import Logging

/// Runs the build script of one trigger as its state changes: decides with `TriggerDecision`, runs one
/// at a time, coalesces states that arrive during a run into one more run for the newest count, and
/// remembers a count only once its run has finished (a cancelled or killed run is not remembered, so it
/// runs again after a restart).
public struct TriggerLoop: Sendable {
    /// The trigger.
    public var trigger: String
    /// Where the state is remembered.
    public var store: StateStore
    /// Runs the script for a context.
    public var runScript: @Sendable (RunContext) async -> RunReport
    /// Reports runs (nil against an original server, or when reporting is off).
    public var reporter: (any RunReporting)?
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
    /// When fired, no new run starts (states still buffered are dropped).
    public var stop = StopSignal()

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
    /// Returns the runs' reports, in order.
    @discardableResult
    public func run(states: AsyncStream<PollResult>) async throws -> [RunReport] {
        var stored = try store.load(trigger)
        var reports: [RunReport] = []
        for await result in states {
            let observed = result.observation
            onObservation(observed)
            switch TriggerDecision.decide(stored: stored, observed: observed) {
            case .nothing:
                continue
            case .adopt(let warning):
                let state = TriggerState(trigger: trigger, epoch: observed.epoch, count: observed.count)
                try store.save(state)
                stored = state
                if let warning {
                    logger.warning("[\(trigger)] \(warning)")
                } else {
                    logger.info("[\(trigger)] first start: adopting count \(observed.count) without running")
                }
            case .run(let count):
                if stop.isFired { return reports }
                let context = RunContext(
                    trigger: trigger, count: count, epoch: observed.epoch, runID: makeRunID(), agent: agent,
                    host: host)
                let clock = ContinuousClock()
                let start = clock.now
                let report = await runScript(context)
                onRunFinished(report, clock.now - start)
                if report.status != .cancelled {
                    let state = TriggerState(trigger: trigger, epoch: observed.epoch, count: count)
                    try store.save(state)
                    stored = state
                }
                reports.append(report)
                if let reporter, result.serverProtocol == .v1 {
                    do {
                        try await reporter.report(report)
                    } catch {
                        logger.warning("[\(trigger)] could not report run \(report.id): \(error)")
                    }
                }
                if report.status == .cancelled { return reports }
            }
        }
        return reports
    }
}
