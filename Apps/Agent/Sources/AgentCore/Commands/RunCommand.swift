import ArgumentParser
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// `prostagma-agent run --once`: run a script now and print the step results.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the build script now (--once), print each step's result; exit 1 if it failed.",
        discussion: "Without --once, the same as `watch`.")

    @OptionGroup var flags: AgentFlags
    @Flag(name: .long, help: "Run the script once and exit.") var once = false
    @Option(name: .long, help: "The PROSTAGMA_COUNT the steps see (default 0).") var count = 0
    @Option(
        name: .customLong("param"),
        help: ArgumentHelp(
            "A release param the run sees, NAME=VALUE (repeatable), as `trigger --param` gives it.",
            valueName: "name=value"))
    var params: [String] = []

    func validate() throws { _ = try PipelineRequest.params(params) }

    func run() async throws {
        guard once else {
            var watch = WatchCommand()
            watch.flags = flags
            try await watch.run()
            return
        }
        let logger = AgentLogging.logger()
        let settings = try flags.resolve()
        let (trigger, script) = try Self.pick(settings)
        let parsed = try ScriptLoader.loadScript(script)
        for line in ScriptLoader.warningLines(parsed, path: script) { logger.warning("\(line)") }
        let transport = try ClientTransport(caFile: settings.caFile)
        let fetcher: any ArtifactFetching
        if let server = settings.server {
            fetcher = ServerClient(
                server: server, secret: settings.secret ?? "", agentName: settings.agentName, host: settings.host,
                pollInterval: settings.pollInterval, transport: transport)
        } else {
            fetcher = NoServerFetcher()
        }
        let executor = RunExecutor(
            shell: settings.shell, baseEnvironment: ProcessEnvironment.current(),
            loadScript: { parsed }, fetcher: fetcher, extractor: ZipExtractor(), grace: settings.grace,
            logger: logger)
        let context = RunContext(
            trigger: trigger, count: count, epoch: nil, runID: RunContext.newRunID(), agent: settings.agentName,
            host: settings.host, params: try PipelineRequest.params(params))
        // The one run is the only service of a group that traps SIGTERM and SIGINT, so a running step gets the
        // grace period as it does under `watch`; the group ends when the run does.
        let once = OnceRun(executor: executor, context: context)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: once, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        var failure: (any Error)?
        do { try await group.run() } catch { failure = error }
        try? await transport.shutdown()
        if let failure { throw failure }
        guard let report = once.report else { throw AgentError.step("the run did not finish") }
        print(RunPrinter.text(report))
        if report.status != .succeeded { throw ExitCode(1) }
    }

    static func pick(_ settings: ResolvedSettings) throws -> (trigger: String, script: String) {
        if let script = settings.script { return (settings.trigger ?? "manual", script) }
        if let trigger = settings.trigger, let watch = settings.watches.first(where: { $0.trigger == trigger }) {
            return (trigger, watch.script)
        }
        if settings.watches.count == 1 { return (settings.watches[0].trigger, settings.watches[0].script) }
        if settings.watches.isEmpty {
            throw AgentError.configuration("no script: set PROSTAGMA_SCRIPT or --script")
        }
        throw AgentError.configuration(
            "the config file watches several triggers: choose one with --trigger ("
                + settings.watches.map(\.trigger).joined(separator: ", ") + ")")
    }
}

/// The run of `run --once` as a `Service`, keeping its report for the command to print.
final class OnceRun: Service, Sendable {
    let executor: RunExecutor
    let context: RunContext
    private let finished = Mutex<RunReport?>(nil)

    init(executor: RunExecutor, context: RunContext) {
        self.executor = executor
        self.context = context
    }

    /// The report, once the run has finished.
    var report: RunReport? { finished.withLock { $0 } }

    func run() async {
        let report = await executor.run(context)
        finished.withLock { $0 = report }
    }
}
