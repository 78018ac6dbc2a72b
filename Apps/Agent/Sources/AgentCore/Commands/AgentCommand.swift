import ArgumentParser

/// The `prostagma-agent` command line: `watch` (the default), `run --once`, `trigger NAME`, `rollback NAME`,
/// `rollout NAME [ACTION]`, `validate`.
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
        subcommands: [
            WatchCommand.self, RunCommand.self, TriggerCommand.self, RollbackCommand.self, RolloutCommand.self,
            ValidateCommand.self,
        ],
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
