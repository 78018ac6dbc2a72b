import ArgumentParser

/// `prostagma-agent trigger NAME [--wait 5m]`: increment a trigger, optionally wait for the deploy.
struct TriggerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trigger",
        abstract: "Increment a trigger (for pipelines); with --wait, wait for the agents' runs.",
        discussion: """
            Exit status: 0 incremented (with --wait: every agent's run succeeded), 1 a run failed, \
            2 the wait ran out before every agent reported, 3 the request failed.
            """)

    @OptionGroup var flags: AgentFlags
    @Argument(help: "The trigger to increment.") var name: String
    @Option(name: .long, help: "Wait this long (e.g. 5m, at most 1h) for every live agent's run.") var wait: String?

    func run() async throws {
        do throws(ProtocolError) {
            try TriggerName.validate(name)
        } catch {
            throw ValidationError("`\(name)` is not a valid trigger name: \(error)")
        }
        var waitSeconds: Int?
        if let wait {
            guard let duration = DurationParser.parse(wait), duration > .zero, duration <= .seconds(3600) else {
                throw ValidationError("--wait `\(wait)` must be a duration up to 1h (e.g. 5m)")
            }
            waitSeconds = max(1, Int(duration.components.seconds))
        }
        let settings = try flags.resolve()
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
