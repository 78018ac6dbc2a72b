/// Settings given on the command line (nil when a flag is absent); resolved against the environment and
/// the config file by `AgentSettings.resolve`.
public struct AgentOptions: Sendable, Equatable {
    /// `--server`.
    public var server: String?
    /// `--secret`.
    public var secret: String?
    /// `--secret-file`.
    public var secretFile: String?
    /// `--shell`.
    public var shell: String?
    /// `--prom-port`.
    public var promPort: String?
    /// `--trigger`.
    public var trigger: String?
    /// `--script`.
    public var script: String?
    /// `--config`.
    public var config: String?
    /// `--state`.
    public var state: String?
    /// `--agent-name`.
    public var agentName: String?
    /// `--poll-interval`.
    public var pollInterval: String?
    /// `--ca-file`.
    public var caFile: String?
    /// `--grace`.
    public var grace: String?

    /// No flags.
    public init() {}
}
