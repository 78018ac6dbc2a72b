/// Everything watching needs, checked: a server, a secret and at least one trigger with its script
/// (``ResolvedSettings/forWatching()`` makes it; flags win over the environment, which wins over the file).
public struct WatchConfiguration: Sendable, Equatable {
    /// One trigger watched with its build script.
    public struct Watch: Sendable, Equatable {
        /// The trigger's name.
        public var trigger: String
        /// The build script's path.
        public var script: String

        /// Makes a watch.
        public init(trigger: String, script: String) {
            self.trigger = trigger
            self.script = script
        }
    }

    /// The server's base URL (`http://host:port`, maybe with a path prefix), without a trailing slash.
    public var server: String
    /// The shared secret.
    public var secret: String
    /// The shell for `shell` steps.
    public var shell: String
    /// The port of the metrics endpoint, when metrics are on.
    public var promPort: Int?
    /// The triggers watched, each with its script.
    public var watches: [Watch]
    /// The state directory.
    public var stateDirectory: String
    /// The agent's name in reports and on the server's agent list.
    public var agentName: String
    /// The host name.
    public var host: String
    /// How often an original server is polled.
    public var pollInterval: Duration
    /// PEM file of CA certificates to trust for an HTTPS server (instead of the system's).
    public var caFile: String?
    /// How long a running step may continue after SIGTERM.
    public var grace: Duration

    /// Makes a configuration.
    public init(
        server: String, secret: String, shell: String = "/bin/sh", promPort: Int? = nil, watches: [Watch],
        stateDirectory: String, agentName: String, host: String, pollInterval: Duration = .seconds(5),
        caFile: String? = nil, grace: Duration = .seconds(10)
    ) {
        self.server = server
        self.secret = secret
        self.shell = shell
        self.promPort = promPort
        self.watches = watches
        self.stateDirectory = stateDirectory
        self.agentName = agentName
        self.host = host
        self.pollInterval = pollInterval
        self.caFile = caFile
        self.grace = grace
    }

    /// Whether `name` follows the trigger name rule (``TriggerName``): `[A-Za-z0-9._-]{1,128}`, not only dots.
    public static func isValidTriggerName(_ name: String) -> Bool { TriggerName.isValid(name) }

    /// `PROSTAGMA_HOST` as a base URL: a scheme is added when missing (`host:6969` means
    /// `http://host:6969`), a trailing slash removed; only http and https are accepted.
    public static func normalizeServer(_ text: String) throws -> String {
        var value = text.trimmingWhitespace()
        guard !value.isEmpty else { throw AgentError.configuration("PROSTAGMA_HOST is empty") }
        if !value.contains("://") { value = "http://" + value }
        let lower = value.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
            throw AgentError.configuration("PROSTAGMA_HOST `\(text)` must be an http:// or https:// URL")
        }
        while value.hasSuffix("/") { value.removeLast() }
        let afterScheme = value.firstRange(of: "://").map { value[$0.upperBound...] } ?? ""
        guard !afterScheme.isEmpty, !afterScheme.hasPrefix("/") else {
            throw AgentError.configuration("PROSTAGMA_HOST `\(text)` has no host name")
        }
        return value
    }
}
