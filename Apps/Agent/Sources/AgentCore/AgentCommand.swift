import ArgumentParser

/// The `prostagma-agent` command line: `watch` (the default), `run --once`, `trigger NAME`, `validate`.
public struct AgentCommand: AsyncParsableCommand {
    /// The command's name, abstract and subcommands.
    public static let configuration = CommandConfiguration(
        commandName: "prostagma-agent",
        abstract: "Watch Prostagma triggers and run build scripts when they move.",
        discussion: """
            Configuration comes from flags, then the environment (PROSTAGMA_HOST, PROSTAGMA_SECRET, \
            PROSTAGMA_SHELL, PROSTAGMA_PROM_PORT, PROSTAGMA_TRIGGER, PROSTAGMA_SCRIPT, PROSTAGMA_CONFIG, \
            PROSTAGMA_STATE, PROSTAGMA_AGENT_NAME, PROSTAGMA_POLL_INTERVAL, PROSTAGMA_CA_FILE), then the \
            PROSTAGMA_CONFIG file. See docs/agent.md.
            """,
        version: prostagmaVersion,
        subcommands: [WatchCommand.self, RunCommand.self, TriggerCommand.self, ValidateCommand.self],
        defaultSubcommand: WatchCommand.self
    )

    /// Makes the command (ArgumentParser fills it).
    public init() {}

    /// Parses the process's arguments and runs the chosen subcommand (the executable's whole `main`).
    public static func start() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as AgentError {
            // `FILE:LINE:COL: message` at the start of the line, so editors and terminals can jump to it.
            printError(error.kind == .invalidScript ? error.message : "prostagma-agent: \(error.message)")
            exit(withError: ExitCode.failure)
        } catch {
            exit(withError: error)
        }
    }
}

/// The version printed by `--version`.
public let prostagmaVersion = "0.1.0-dev"

/// Flags shared by every subcommand; each wins over its environment variable.
public struct SharedOptions: ParsableArguments {
    @Option(name: .long, help: "Server URL (PROSTAGMA_HOST), e.g. http://deploy.internal:6969.")
    var server: String?
    @Option(name: .long, help: "Shared secret (PROSTAGMA_SECRET). Prefer --secret-file: flags show in ps.")
    var secret: String?
    @Option(name: .long, help: "File holding the secret (PROSTAGMA_SECRET_FILE).")
    var secretFile: String?
    @Option(name: .long, help: "Shell for shell steps (PROSTAGMA_SHELL, default /bin/sh).")
    var shell: String?
    @Option(name: .long, help: "Port of the Prometheus endpoint (PROSTAGMA_PROM_PORT); none when unset.")
    var promPort: String?
    @Option(name: .long, help: "Trigger to watch (PROSTAGMA_TRIGGER).")
    var trigger: String?
    @Option(name: .long, help: "Build script of that trigger (PROSTAGMA_SCRIPT).")
    var script: String?
    @Option(name: .long, help: "YAML file watching several triggers (PROSTAGMA_CONFIG).")
    var config: String?
    @Option(name: .long, help: "State directory (PROSTAGMA_STATE).")
    var state: String?
    @Option(name: .long, help: "Agent name in reports (PROSTAGMA_AGENT_NAME, default the host name).")
    var agentName: String?
    @Option(name: .long, help: "Polling interval against an original server (PROSTAGMA_POLL_INTERVAL, default 5s).")
    var pollInterval: String?
    @Option(name: .long, help: "PEM file of CA certificates for an HTTPS server (PROSTAGMA_CA_FILE).")
    var caFile: String?
    @Option(name: .long, help: "How long a running step may go on after SIGTERM (PROSTAGMA_GRACE, default 10s).")
    var grace: String?

    /// Makes empty options (ArgumentParser fills them).
    public init() {}

    var options: AgentOptions {
        var o = AgentOptions()
        o.server = server
        o.secret = secret
        o.secretFile = secretFile
        o.shell = shell
        o.promPort = promPort
        o.trigger = trigger
        o.script = script
        o.config = config
        o.state = state
        o.agentName = agentName
        o.pollInterval = pollInterval
        o.caFile = caFile
        o.grace = grace
        return o
    }

    func resolve() throws -> AgentSettings {
        try AgentSettings.resolve(options, inputs: AgentSettings.Inputs.live())
    }
}

extension AgentSettings.Inputs {
    /// The real environment, files and host name.
    public static func live() -> Self {
        Self(
            environment: ProcessEnvironment.current(),
            loadConfigFile: { try ScriptLoader.loadConfig($0) },
            readTextFile: { path in
                do {
                    return String(decoding: try FileSystem.read(path), as: UTF8.self)
                } catch {
                    throw AgentError.configuration("cannot read the secret file: \(error)")
                }
            },
            hostName: ProcessEnvironment.hostName(), isRoot: ProcessEnvironment.isRoot)
    }
}
