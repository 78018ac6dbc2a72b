import ArgumentParser

/// `prostagma-agent trigger NAME [--param NAME=VALUE ...] [--note TEXT] [--wait 5m]`: increment a trigger, making a
/// release with those params, optionally wait for the deploy.
struct TriggerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trigger",
        abstract: "Increment a trigger (for pipelines); with --wait, wait for the agents' runs.",
        discussion: """
            Each --param NAME=VALUE becomes a param of the new release: steps see it as PROSTAGMA_PARAM_<NAME> and \
            as ${params.NAME} in url, dest, src, sha256 and mode. Params and notes need a Prostagma v1 server with \
            releases. Exit status: 0 incremented (with --wait: every agent's run succeeded), 1 a run failed, \
            2 the wait ran out before every agent reported, 3 the request failed.
            """)

    @OptionGroup var flags: AgentFlags
    @Argument(help: "The trigger to increment.") var name: String
    @Option(
        name: .customLong("param"),
        help: ArgumentHelp(
            "A param of the release, NAME=VALUE (repeatable); NAME matches [A-Za-z_][A-Za-z0-9_]{0,63}.",
            valueName: "name=value"))
    var params: [String] = []
    @Option(name: .long, help: "A note for the release history (at most 1 KiB).") var note: String?
    @Option(name: .long, help: "Wait this long (e.g. 5m, at most 1h) for every live agent's run.") var wait: String?

    /// Checks everything before anything is sent: the name, each `--param`, the note, `--wait`.
    func validate() throws {
        try PipelineRequest.checkTrigger(name)
        _ = try request()
        _ = try PipelineRequest.waitSeconds(wait)
    }

    /// The body to send: the params and note, checked against the release rules.
    func request() throws -> IncrementRequest {
        let values = try PipelineRequest.params(params)
        do throws(ProtocolError) {
            return try IncrementRequest(params: values, note: note).validated()
        } catch {
            throw ValidationError("invalid --note: \(error.message)")
        }
    }

    func run() async throws {
        let request = try request()
        try await PipelineRequest.send(flags: flags, trigger: name, wait: try PipelineRequest.waitSeconds(wait)) {
            try await $0.increment(trigger: name, wait: $1, request: request)
        }
    }
}
