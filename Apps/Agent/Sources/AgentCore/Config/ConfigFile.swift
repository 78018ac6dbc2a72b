/// The `PROSTAGMA_CONFIG` file: one agent process watching several triggers, each with its own script.
///
/// ```yaml
/// server: http://deploy.internal:6969
/// secret: s3cret              # or secret_file: /etc/prostagma/secret
/// watches:
///   - trigger: web
///     script: /etc/prostagma/web.yaml
///   - trigger: worker
///     script: worker.yaml     # relative to this file's directory
/// ```
/// Also accepted: `shell`, `prom_port`, `state`, `agent_name`, `poll_interval`, `ca_file`, `grace`.
public struct ConfigFile: Sendable, Equatable, Decodable {
    /// A `{trigger, script}` entry.
    public struct Watch: Sendable, Equatable, Decodable {
        /// The trigger.
        public var trigger: String
        /// The script path as written.
        public var script: String

        /// Decodes and checks a watch.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: AnyKey.self)
            try rejectUnknownKeys(c, allowed: ["trigger", "script"], in: "a watch")
            trigger = try require(String.self, "trigger", in: c, of: "a watch")
            script = try require(String.self, "script", in: c, of: "a watch")
            guard WatchConfiguration.isValidTriggerName(trigger) else {
                throw invalid(
                    c.codingPath + [AnyKey("trigger")],
                    "`\(trigger)` is not a valid trigger name ([A-Za-z0-9._-], 1 to 128 characters)")
            }
            if script.isEmpty { throw invalid(c.codingPath + [AnyKey("script")], "`script` is empty") }
        }
    }

    /// `server`.
    public var server: String?
    /// `secret`.
    public var secret: String?
    /// `secret_file`.
    public var secretFile: String?
    /// `shell`.
    public var shell: String?
    /// `prom_port`.
    public var promPort: Int?
    /// `state`.
    public var state: String?
    /// `agent_name`.
    public var agentName: String?
    /// `poll_interval` (a duration).
    public var pollInterval: String?
    /// `ca_file`.
    public var caFile: String?
    /// `grace` (a duration).
    public var grace: String?
    /// `watches`.
    public var watches: [Watch]

    static let keys = [
        "server", "secret", "secret_file", "shell", "prom_port", "state", "agent_name", "poll_interval", "ca_file",
        "grace", "watches",
    ]

    /// Decodes and checks a config file.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        try rejectUnknownKeys(c, allowed: Self.keys, in: "the agent configuration")
        server = try optional(String.self, "server", in: c)
        secret = try optional(String.self, "secret", in: c)
        secretFile = try optional(String.self, "secret_file", in: c)
        shell = try optional(String.self, "shell", in: c)
        promPort = try optional(Int.self, "prom_port", in: c)
        state = try optional(String.self, "state", in: c)
        agentName = try optional(String.self, "agent_name", in: c)
        pollInterval = try optional(String.self, "poll_interval", in: c)
        caFile = try optional(String.self, "ca_file", in: c)
        grace = try optional(String.self, "grace", in: c)
        watches = try require([Watch].self, "watches", in: c, of: "the agent configuration")
        if watches.isEmpty {
            throw invalid(c.codingPath + [AnyKey("watches")], "`watches` is empty: list at least one {trigger, script}")
        }
        var seen = Set<String>()
        for (i, w) in watches.enumerated() where !seen.insert(w.trigger).inserted {
            throw invalid(
                c.codingPath + [AnyKey("watches"), AnyKey(intValue: i)!, AnyKey("trigger")],
                "trigger `\(w.trigger)` is watched twice")
        }
        for (key, value) in [("poll_interval", pollInterval), ("grace", grace)] {
            if let value, DurationParser.parse(value) == nil {
                throw invalid(c.codingPath + [AnyKey(key)], "`\(key): \(value)` is not a duration (e.g. 5s, 1m)")
            }
        }
        if let promPort, !(1...65535).contains(promPort) {
            throw invalid(c.codingPath + [AnyKey("prom_port")], "`prom_port: \(promPort)` is not a TCP port")
        }
    }
}
