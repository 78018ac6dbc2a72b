import Logging
import UnixSignals

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The watching agent: validates every script, then watches each trigger and runs its script, until
/// SIGTERM or SIGINT.
public struct AgentRuntime: Sendable {
    /// The resolved configuration.
    public var configuration: AgentConfiguration
    /// How requests reach the server.
    public var transport: any HTTPTransport
    /// How archives are extracted.
    public var extractor: any ArchiveExtracting
    /// The log.
    public var logger: Logger
    /// Fired on SIGTERM/SIGINT (or by a test) to stop.
    public var stop = StopSignal()
    /// Whether to trap SIGTERM and SIGINT (off in tests that stop through `stop`).
    public var trapSignals = true
    /// Called once the metrics endpoint listens, with its port.
    public var onMetricsListening: @Sendable (Int) -> Void = { _ in }

    /// Makes a runtime.
    public init(
        configuration: AgentConfiguration, transport: any HTTPTransport, extractor: any ArchiveExtracting,
        logger: Logger
    ) {
        self.configuration = configuration
        self.transport = transport
        self.extractor = extractor
        self.logger = logger
    }

    /// Validates every script (throwing `FILE:LINE:COL: message` for the first invalid one).
    public static func validateScripts(_ configuration: AgentConfiguration, logger: Logger) throws {
        for watch in configuration.watches {
            let script = try ScriptLoader.loadScript(watch.script)
            for line in ScriptLoader.warningLines(script, path: watch.script) { logger.warning("\(line)") }
        }
    }

    /// Runs until stopped. Throws when a script is invalid at start or the state directory is unusable.
    public func run() async throws {
        let configuration = self.configuration
        let logger = self.logger
        try Self.validateScripts(configuration, logger: logger)
        let store = try StateStore(directory: configuration.stateDirectory)
        let locks = try configuration.watches.map { try store.lock($0.trigger) }
        defer { for fd in locks { close(fd) } }
        let metrics = AgentMetrics()
        let client = ServerClient(
            server: configuration.server, secret: configuration.secret, agentName: configuration.agentName,
            host: configuration.host, pollInterval: configuration.pollInterval, transport: transport)
        let baseEnvironment = ProcessEnvironment.current()
        let stop = self.stop
        let watching = configuration.watches.map { "\($0.trigger) (\($0.script))" }.joined(separator: ", ")
        logger.info(
            "prostagma-agent \(prostagmaVersion) as \(configuration.agentName): watching \(watching) on \(configuration.server); state in \(configuration.stateDirectory)"
        )

        try await withThrowingTaskGroup(of: Void.self) { outer in
            if trapSignals {
                outer.addTask {
                    for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
                        logger.notice(
                            "received \(signal): stopping; a running step gets \(DurationParser.format(configuration.grace))"
                        )
                        stop.fire()
                        break
                    }
                }
            }
            if let port = configuration.promPort {
                // Wait until the endpoint listens or fails: an error of a task in this group would only surface
                // when the agent stops, so a busy port used to go unnoticed for the agent's whole life.
                let listening = onMetricsListening
                let (started, startedSink) = AsyncStream.makeStream(of: (any Error)?.self)
                outer.addTask {
                    do {
                        try await MetricsEndpoint.serve(port: port, metrics: metrics, logger: logger) {
                            startedSink.yield(nil)
                            listening($0)
                        }
                    } catch {
                        startedSink.yield(error)
                        throw error
                    }
                    startedSink.finish()
                }
                var outcome = started.makeAsyncIterator()
                if case .some(.some(let error)) = await outcome.next() {
                    throw AgentError.configuration(
                        "cannot serve metrics on port \(port) (PROSTAGMA_PROM_PORT / --prom-port): \(error)")
                }
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for watch in configuration.watches {
                    let (states, continuation) = AsyncStream.makeStream(
                        of: PollResult.self, bufferingPolicy: .bufferingNewest(1))
                    var watcher = TriggerWatcher(
                        trigger: watch.trigger, source: client, serverDescription: configuration.server,
                        pollInterval: configuration.pollInterval, logger: logger)
                    watcher.onPollError = { metrics.pollFailed() }
                    let finalWatcher = watcher
                    group.addTask {
                        await withTaskGroup(of: Void.self) { g in
                            g.addTask { await finalWatcher.watch { continuation.yield($0) } }
                            g.addTask { await stop.wait() }
                            await g.next()
                            g.cancelAll()
                        }
                        continuation.finish()
                    }
                    var executor = RunExecutor(
                        shell: configuration.shell, baseEnvironment: baseEnvironment,
                        loadScript: { try ScriptLoader.loadScript(watch.script) }, fetcher: client,
                        extractor: extractor, shutdown: stop, grace: configuration.grace, logger: logger)
                    executor.onDownloadBytes = { metrics.downloaded($0) }
                    let finalExecutor = executor
                    var loop = TriggerLoop(
                        trigger: watch.trigger, store: store, runScript: { await finalExecutor.run($0) },
                        reporter: client, makeRunID: { RunContext.newRunID() }, agent: configuration.agentName,
                        host: configuration.host, logger: logger)
                    loop.stop = stop
                    loop.outbox = try ReportOutbox(stateDirectory: store.directory, trigger: watch.trigger)
                    loop.onRunFinished = { metrics.runFinished($0, duration: $1) }
                    loop.onObservation = { metrics.observed(watch.trigger, $0) }
                    let finalLoop = loop
                    group.addTask {
                        do {
                            try await finalLoop.run(states: states)
                        } catch {
                            logger.critical("[\(watch.trigger)] \(error); stopping the agent")
                            stop.fire()
                            throw error
                        }
                    }
                }
                try await group.waitForAll()
            }
            outer.cancelAll()
        }
        logger.info("stopped")
    }
}
