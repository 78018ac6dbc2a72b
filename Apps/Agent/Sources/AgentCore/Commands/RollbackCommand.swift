import ArgumentParser

/// `prostagma-agent rollback NAME --to N|previous [--note TEXT] [--wait 5m]`: a new release of a trigger carrying an
/// earlier release's params.
struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Deploy an earlier release's params again, as a new count (for pipelines and operators).",
        discussion: """
            --to N names the release with count N; --to previous the newest release before the current one whose \
            runs all succeeded. Needs a Prostagma v1 server with releases. Exit status as for `trigger`: 0 rolled \
            back (with --wait: every agent's run succeeded), 1 a run failed, 2 the wait ran out, 3 the request \
            failed (e.g. no such release, nothing to go back to).
            """)

    @OptionGroup var flags: AgentFlags
    @Argument(help: "The trigger to roll back.") var name: String
    @Option(name: .long, help: "The release to go back to: its count, or `previous`.") var to: String
    @Option(name: .long, help: "A note for the release history (at most 1 KiB).") var note: String?
    @Option(name: .long, help: "Wait this long (e.g. 5m, at most 1h) for every live agent's run.") var wait: String?

    /// Checks everything before anything is sent.
    func validate() throws {
        try PipelineRequest.checkTrigger(name)
        _ = try request()
        _ = try PipelineRequest.waitSeconds(wait)
    }

    /// The body to send.
    func request() throws -> RollbackRequest {
        guard let target = RollbackRequest.Target(to) else {
            throw ValidationError("--to `\(to)` must be a release's count (1 or more) or `previous`")
        }
        do throws(ProtocolError) {
            try ReleaseRules.validate(note: note)
        } catch {
            throw ValidationError("invalid --note: \(error.message)")
        }
        return RollbackRequest(to: target, note: note)
    }

    func run() async throws {
        let request = try request()
        try await PipelineRequest.send(flags: flags, trigger: name, wait: try PipelineRequest.waitSeconds(wait)) {
            try await $0.rollback(trigger: name, request: request, wait: $1)
        }
    }
}
