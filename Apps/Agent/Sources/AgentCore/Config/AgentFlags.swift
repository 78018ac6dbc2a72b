import ArgumentParser

/// The command line: the flags every subcommand shares, as ArgumentParser parses them. Each wins over its
/// environment variable, which wins over the config file (``ConfigFile``); ``ResolvedSettings`` merges them.
///
/// Tests build flags by parsing them (`try AgentFlags.parse(["--server", "h"])`), as the binary does.
public struct AgentFlags: ParsableArguments, Sendable {
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

    func resolve() throws -> ResolvedSettings {
        try ResolvedSettings.resolve(self, inputs: ResolvedSettings.Inputs.live())
    }
}
