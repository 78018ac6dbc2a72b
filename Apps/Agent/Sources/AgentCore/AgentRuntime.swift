import Logging
import ServiceLifecycle
import Synchronization
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

/// The watching agent: validates every script, then runs each watched trigger and the metrics endpoint as services
/// of one `ServiceGroup`, until SIGTERM or SIGINT begins its graceful shutdown.
///
/// It is a `Service` itself: run inside another `ServiceGroup` (an embedding program) or `testGracefulShutdown`
/// (a test), the graceful shutdown of that context stops it as SIGTERM does.
public struct AgentRuntime: Service, Sendable {
    /// The resolved configuration.
    public var configuration: WatchConfiguration
    /// How requests reach the server.
    public var transport: any HTTPTransport
    /// How archives are extracted.
    public var extractor: any ArchiveExtracting
    /// The log.
    public var logger: Logger
    /// Whether to trap SIGTERM and SIGINT (off in tests, which shut it down through `testGracefulShutdown`).
    public var trapSignals = true
    /// Called once the metrics endpoint listens, with its port.
    public var onMetricsListening: @Sendable (Int) -> Void = { _ in }

    /// Makes a runtime.
    public init(
        configuration: WatchConfiguration, transport: any HTTPTransport, extractor: any ArchiveExtracting,
        logger: Logger
    ) {
        self.configuration = configuration
        self.transport = transport
        self.extractor = extractor
        self.logger = logger
    }

    /// Validates every script (throwing `FILE:LINE:COL: message` for the first invalid one).
    public static func validateScripts(_ configuration: WatchConfiguration, logger: Logger) throws {
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
        let startupOver = Atomic<Bool>(false)
        let client = ServerClient(
            server: configuration.server, secret: configuration.secret, agentName: configuration.agentName,
            host: configuration.host, pollInterval: configuration.pollInterval, transport: transport)
        let baseEnvironment = ProcessEnvironment.current()
        let watching = configuration.watches.map { "\($0.trigger) (\($0.script))" }.joined(separator: ", ")
        logger.info(
            "prostagma-agent \(prostagmaVersion) as \(configuration.agentName): watching \(watching) on \(configuration.server); state in \(configuration.stateDirectory)"
        )

        // Metrics first: a group stops its services in reverse order, so the endpoint outlives the runs' grace.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let port = configuration.promPort {
            services.append(
                .init(
                    service: MetricsService(
                        port: port, metrics: metrics, logger: logger, onListening: onMetricsListening),
                    successTerminationBehavior: .gracefullyShutdownGroup,
                    failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        for watch in configuration.watches {
            var watcher = TriggerWatcher(
                trigger: watch.trigger, source: client, serverDescription: configuration.server,
                pollInterval: configuration.pollInterval, logger: logger)
            watcher.onPollError = { metrics.pollFailed() }
            var executor = RunExecutor(
                shell: configuration.shell, baseEnvironment: baseEnvironment,
                loadScript: { try ScriptLoader.loadScript(watch.script) }, fetcher: client,
                extractor: extractor, grace: configuration.grace, logger: logger)
            executor.onDownloadBytes = { metrics.downloaded($0) }
            let finalExecutor = executor
            var loop = TriggerLoop(
                trigger: watch.trigger, store: store, runScript: { await finalExecutor.run($0) },
                reporter: client, makeRunID: { RunContext.newRunID() }, agent: configuration.agentName,
                host: configuration.host, logger: logger)
            loop.outbox = try ReportOutbox(stateDirectory: store.directory, trigger: watch.trigger)
            loop.onRunFinished = { metrics.runFinished($0, duration: $1) }
            loop.onObservation = {
                metrics.observed(watch.trigger, $0)
                // The first answer from the server ends start-up: its pages leave the resident set (StartupPages).
                if !startupOver.exchange(true, ordering: .relaxed) {
                    BlockingThread.start {
                        let released = StartupPages.release()
                        logger.debug("released \(released) bytes of start-up pages from the resident set")
                    }
                }
            }
            // One trigger stopping (its state became unusable) stops the agent, letting the others' steps finish.
            services.append(
                .init(
                    service: TriggerService(watcher: watcher, loop: loop, grace: configuration.grace, logger: logger),
                    successTerminationBehavior: .gracefullyShutdownGroup,
                    failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services, gracefulShutdownSignals: trapSignals ? [.sigterm, .sigint] : [], logger: logger))
        // Run inside a graceful-shutdown context (an embedding ServiceGroup, a test), the group shuts down with it.
        try await group.run()
        logger.info("stopped")
    }
}
