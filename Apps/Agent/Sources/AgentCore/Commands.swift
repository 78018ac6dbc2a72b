import ArgumentParser
import Logging

/// `prostagma-agent watch` (the default; `client` as in the original): watch and run until SIGTERM.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch", abstract: "Watch the trigger(s) and run their scripts (the default).",
        aliases: ["client"])

    @OptionGroup var shared: SharedOptions

    func run() async throws {
        let logger = AgentLogging.logger()
        let configuration = try shared.resolve().forWatching()
        let transport = try ClientTransport(caFile: configuration.caFile)
        do {
            try await AgentRuntime(
                configuration: configuration, transport: transport, extractor: ZipExtractor(), logger: logger
            ).run()
            try await transport.shutdown()
        } catch {
            try? await transport.shutdown()
            throw error
        }
    }
}

/// `prostagma-agent run --once`: run a script now and print the step results.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the build script now (--once), print each step's result; exit 1 if it failed.",
        discussion: "Without --once, the same as `watch`.")

    @OptionGroup var shared: SharedOptions
    @Flag(name: .long, help: "Run the script once and exit.") var once = false
    @Option(name: .long, help: "The PROSTAGMA_COUNT the steps see (default 0).") var count = 0

    func run() async throws {
        guard once else {
            var watch = WatchCommand()
            watch.shared = shared
            try await watch.run()
            return
        }
        let logger = AgentLogging.logger()
        let settings = try shared.resolve()
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
        let stop = StopSignal()
        let executor = RunExecutor(
            shell: settings.shell, baseEnvironment: ProcessEnvironment.current(),
            loadScript: { parsed }, fetcher: fetcher, extractor: ZipExtractor(), shutdown: stop,
            grace: settings.grace, logger: logger)
        let context = RunContext(
            trigger: trigger, count: count, epoch: nil, runID: UUIDString.make(), agent: settings.agentName,
            host: settings.host)
        let report = await SignalScope.run(stop: stop) { await executor.run(context) }
        try? await transport.shutdown()
        print(RunPrinter.text(report))
        if report.status != .succeeded { throw ExitCode(1) }
    }

    static func pick(_ settings: AgentSettings) throws -> (trigger: String, script: String) {
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

/// `prostagma-agent trigger NAME [--wait 5m]`: increment a trigger, optionally wait for the deploy.
struct TriggerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trigger",
        abstract: "Increment a trigger (for pipelines); with --wait, wait for the agents' runs.",
        discussion: """
            Exit status: 0 incremented (with --wait: every agent's run succeeded), 1 a run failed, \
            2 the wait ran out before every agent reported, 3 the request failed.
            """)

    @OptionGroup var shared: SharedOptions
    @Argument(help: "The trigger to increment.") var name: String
    @Option(name: .long, help: "Wait this long (e.g. 5m, at most 1h) for every live agent's run.") var wait: String?

    func run() async throws {
        guard AgentConfiguration.isValidTriggerName(name) else {
            throw ValidationError("`\(name)` is not a valid trigger name ([A-Za-z0-9._-], 1 to 128 characters)")
        }
        var waitSeconds: Int?
        if let wait {
            guard let duration = DurationParser.parse(wait), duration > .zero, duration <= .seconds(3600) else {
                throw ValidationError("--wait `\(wait)` must be a duration up to 1h (e.g. 5m)")
            }
            waitSeconds = max(1, Int(duration.components.seconds))
        }
        let settings = try shared.resolve()
        let (server, secret) = try settings.serverAndSecret()
        let transport = try ClientTransport(
            caFile: settings.caFile, readTimeout: .seconds(max(120, (waitSeconds ?? 0) + 60)))
        let client = ServerClient(
            server: server, secret: secret, agentName: settings.agentName, host: settings.host,
            pollInterval: settings.pollInterval, transport: transport)
        let outcome: ServerClient.TriggerOutcome
        do {
            outcome = try await client.increment(trigger: name, wait: waitSeconds)
        } catch {
            try? await transport.shutdown()
            printError("prostagma-agent: \(error)")
            throw ExitCode(3)
        }
        try? await transport.shutdown()
        let (text, code) = TriggerPrinter.describe(outcome, trigger: name, waited: waitSeconds != nil)
        print(text)
        if code != 0 { throw ExitCode(code) }
    }
}

/// `prostagma-agent validate`: check the configuration and every script, print problems, run nothing.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check the configuration and every build script; run nothing.")

    @OptionGroup var shared: SharedOptions

    func run() async throws {
        let settings = try shared.resolve()
        var watches = settings.watches
        if watches.isEmpty, let script = settings.script {
            watches = [.init(trigger: settings.trigger ?? "manual", script: script)]
        }
        guard !watches.isEmpty else { throw AgentError.configuration("no script to validate: set PROSTAGMA_SCRIPT") }
        for watch in watches {
            let script = try ScriptLoader.loadScript(watch.script)
            for line in ScriptLoader.warningLines(script, path: watch.script) { print(line) }
            print("\(watch.script): ok (\(script.steps.count) steps, trigger \(watch.trigger))")
        }
    }
}

/// A fetcher for `run --once` without a server: download steps fail with a clear message.
struct NoServerFetcher: ArtifactFetching {
    func fetch(url: String, cache: Bool, to path: String) async throws -> FetchedArtifact {
        throw AgentError.configuration("\(url): download steps need a server (set PROSTAGMA_HOST)")
    }
}
