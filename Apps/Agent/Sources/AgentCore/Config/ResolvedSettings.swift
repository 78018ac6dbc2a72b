/// Settings resolved from flags, environment and config file, before each command checks what it needs (watching
/// takes ``WatchConfiguration``, ``forWatching()``).
public struct ResolvedSettings: Sendable, Equatable {
    /// The server's base URL, if given.
    public var server: String?
    /// The secret, if given.
    public var secret: String?
    /// The shell.
    public var shell: String
    /// The metrics port, if given.
    public var promPort: Int?
    /// The watches (from the config file, or the single trigger/script pair).
    public var watches: [WatchConfiguration.Watch]
    /// The trigger given by `--trigger`/`PROSTAGMA_TRIGGER`, if any.
    public var trigger: String?
    /// The script given by `--script`/`PROSTAGMA_SCRIPT`, if any.
    public var script: String?
    /// The config file used, if any.
    public var configFile: String?
    /// The state directory.
    public var stateDirectory: String
    /// The agent's name.
    public var agentName: String
    /// The host name.
    public var host: String
    /// The fallback poll interval.
    public var pollInterval: Duration
    /// The CA file, if any.
    public var caFile: String?
    /// The shutdown grace period.
    public var grace: Duration

    /// What the resolver needs from the outside world, injectable for tests.
    public struct Inputs: Sendable {
        /// The process environment.
        public var environment: [String: String]
        /// Reads and decodes a config file (validated; errors are `FILE:LINE:COL: message`).
        public var loadConfigFile: @Sendable (String) throws -> ConfigFile
        /// Reads a small text file (secret files).
        public var readTextFile: @Sendable (String) throws -> String
        /// The host name.
        public var hostName: String
        /// Whether the agent runs as root (changes the default state directory).
        public var isRoot: Bool

        /// Makes inputs.
        public init(
            environment: [String: String], loadConfigFile: @escaping @Sendable (String) throws -> ConfigFile,
            readTextFile: @escaping @Sendable (String) throws -> String, hostName: String, isRoot: Bool
        ) {
            self.environment = environment
            self.loadConfigFile = loadConfigFile
            self.readTextFile = readTextFile
            self.hostName = hostName
            self.isRoot = isRoot
        }
    }

    /// The default state directory: `/var/lib/prostagma-agent` for root, else
    /// `$XDG_STATE_HOME/prostagma-agent` or `~/.local/state/prostagma-agent`.
    public static func defaultStateDirectory(environment: [String: String], isRoot: Bool) -> String {
        if isRoot { return "/var/lib/prostagma-agent" }
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") { return xdg + "/prostagma-agent" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.local/state/prostagma-agent" }
        return ".prostagma-agent-state"
    }

    /// Resolves `flags` over the environment over the config file over the defaults.
    public static func resolve(_ flags: AgentFlags, inputs: Inputs) throws -> ResolvedSettings {
        let env = inputs.environment.filter { !$0.value.isEmpty }
        let configPath = flags.config ?? env["PROSTAGMA_CONFIG"]
        let file = try configPath.map { try inputs.loadConfigFile($0) }
        let configDirectory = configPath.map { FileSystem.directoryOf($0) }

        func duration(_ text: String?, _ name: String) throws -> Duration? {
            guard let text else { return nil }
            guard let value = DurationParser.parse(text), value > .zero else {
                throw AgentError.configuration("\(name) `\(text)` is not a duration (e.g. 5s, 1m)")
            }
            return value
        }

        var server = flags.server ?? env["PROSTAGMA_HOST"] ?? file?.server
        if let given = server { server = try WatchConfiguration.normalizeServer(given) }

        var secret: String? = flags.secret
        if secret == nil, let path = flags.secretFile { secret = try inputs.readTextFile(path) }
        if secret == nil { secret = env["PROSTAGMA_SECRET"] }
        if secret == nil, let path = env["PROSTAGMA_SECRET_FILE"] { secret = try inputs.readTextFile(path) }
        if secret == nil { secret = file?.secret }
        if secret == nil, let path = file?.secretFile {
            secret = try inputs.readTextFile(Self.relative(path, to: configDirectory))
        }
        if let s = secret {
            var trimmed = Substring(s)
            while let last = trimmed.last, last == "\n" || last == "\r" { trimmed.removeLast() }
            secret = String(trimmed)
        }

        let trigger = flags.trigger ?? env["PROSTAGMA_TRIGGER"]
        let script = flags.script ?? env["PROSTAGMA_SCRIPT"]
        var watches: [WatchConfiguration.Watch] = []
        if let file {
            if flags.trigger != nil || flags.script != nil {
                throw AgentError.configuration(
                    "\(configPath!) lists the watches: drop --trigger/--script, or do not use a config file")
            }
            watches = file.watches.map {
                .init(trigger: $0.trigger, script: Self.relative($0.script, to: configDirectory))
            }
        } else if let trigger, let script {
            do throws(ProtocolError) {
                try TriggerName.validate(trigger)
            } catch {
                throw AgentError.configuration("PROSTAGMA_TRIGGER `\(trigger)` is not a valid trigger name: \(error)")
            }
            watches = [.init(trigger: trigger, script: script)]
        }

        var promPort: Int? = file?.promPort
        if let text = flags.promPort ?? env["PROSTAGMA_PROM_PORT"] {
            guard let port = Int(text), (0...65535).contains(port) else {
                throw AgentError.configuration("PROSTAGMA_PROM_PORT `\(text)` is not a TCP port")
            }
            promPort = port
        }

        return ResolvedSettings(
            server: server, secret: secret,
            shell: flags.shell ?? env["PROSTAGMA_SHELL"] ?? file?.shell ?? "/bin/sh",
            promPort: promPort, watches: watches, trigger: trigger, script: script, configFile: configPath,
            stateDirectory: flags.state ?? env["PROSTAGMA_STATE"] ?? file?.state.map {
                Self.relative($0, to: configDirectory)
            }
                ?? defaultStateDirectory(environment: env, isRoot: inputs.isRoot),
            agentName: flags.agentName ?? env["PROSTAGMA_AGENT_NAME"] ?? file?.agentName ?? inputs.hostName,
            host: inputs.hostName,
            pollInterval: try duration(
                flags.pollInterval ?? env["PROSTAGMA_POLL_INTERVAL"], "PROSTAGMA_POLL_INTERVAL")
                ?? (try duration(file?.pollInterval, "poll_interval")) ?? .seconds(5),
            caFile: flags.caFile ?? env["PROSTAGMA_CA_FILE"]
                ?? file?.caFile.map { Self.relative($0, to: configDirectory) },
            grace: try duration(flags.grace ?? env["PROSTAGMA_GRACE"], "--grace")
                ?? (try duration(file?.grace, "grace")) ?? .seconds(10))
    }

    static func relative(_ path: String, to directory: String?) -> String {
        guard let directory, !path.hasPrefix("/") else { return path }
        return directory == "." ? path : directory + "/" + path
    }

    /// The server and secret, or an error naming what is missing.
    public func serverAndSecret() throws -> (server: String, secret: String) {
        guard let server else {
            throw AgentError.configuration(
                "no server: set PROSTAGMA_HOST (e.g. http://deploy.internal:6969) or --server")
        }
        guard let secret, !secret.isEmpty else {
            throw AgentError.configuration("no secret: set PROSTAGMA_SECRET, PROSTAGMA_SECRET_FILE or --secret-file")
        }
        return (server, secret)
    }

    /// The configuration for watching, or an error naming what is missing.
    public func forWatching() throws -> WatchConfiguration {
        let (server, secret) = try serverAndSecret()
        guard !watches.isEmpty else {
            var missing: [String] = []
            if trigger == nil { missing.append("PROSTAGMA_TRIGGER (--trigger)") }
            if script == nil { missing.append("PROSTAGMA_SCRIPT (--script)") }
            throw AgentError.configuration(
                "nothing to watch: set \(missing.joined(separator: " and ")), or PROSTAGMA_CONFIG with `watches`")
        }
        return WatchConfiguration(
            server: server, secret: secret, shell: shell, promPort: promPort, watches: watches,
            stateDirectory: stateDirectory, agentName: agentName, host: host, pollInterval: pollInterval,
            caFile: caFile, grace: grace)
    }
}
