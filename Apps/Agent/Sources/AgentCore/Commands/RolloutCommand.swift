import ArgumentParser

/// `prostagma-agent rollout NAME [pause|resume|promote|abort]`: shows a trigger's rollout, or changes it.
struct RolloutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollout",
        abstract: "Show a trigger's rollout, or pause, resume, promote or abort it (for operators).",
        discussion: """
            Without an action, prints the rollout's state, its release and each agent's place. An action prints the \
            rollout after it. Needs a Prostagma v1 server with rollouts. Exit status: 0 done, 3 the request failed \
            (no rollout, or an action its state does not allow: the server's detail says which).
            """)

    /// The actions the server takes.
    static let actions = ["pause", "resume", "promote", "abort"]

    @OptionGroup var flags: AgentFlags
    @Argument(help: "The trigger whose rollout to show or change.") var name: String
    @Argument(help: "pause, resume, promote or abort; none shows the rollout.") var action: String?

    /// Checks the arguments before anything is sent.
    func validate() throws {
        try PipelineRequest.checkTrigger(name)
        if let action, !Self.actions.contains(action) {
            throw ValidationError("unknown action `\(action)`: use one of \(Self.actions.joined(separator: ", "))")
        }
    }

    func run() async throws {
        let (client, transport) = try PipelineRequest.client(flags: flags)
        let rollout: Rollout
        do {
            rollout = try await client.rollout(trigger: name, action: action)
        } catch {
            try? await transport.shutdown()
            printError("prostagma-agent: \(error)")
            throw ExitCode(3)
        }
        try? await transport.shutdown()
        print(Self.describe(rollout))
    }

    /// `web #7: paused (policy: max_parallel 2, canary 1)` and a line per agent: `  web-1  succeeded  (canary)`.
    static func describe(_ rollout: Rollout) -> String {
        var policy: [String] = []
        switch rollout.policy.maxParallel {
        case .count(let count)?: policy.append("max_parallel \(count)")
        case .percent(let percent)?: policy.append("max_parallel \(percent)%")
        case nil: break
        }
        if rollout.policy.canary > 0 { policy.append("canary \(rollout.policy.canary)") }
        var lines = ["\(rollout.trigger) #\(rollout.count): \(rollout.state.rawValue)"]
        if !policy.isEmpty { lines[0] += " (policy: \(policy.joined(separator: ", ")))" }
        if let haltedBy = rollout.haltedBy { lines.append("halted by \(haltedBy)'s failed run") }
        let width = rollout.agents.map(\.name.count).max() ?? 0
        for agent in rollout.agents {
            let padded = agent.name + String(repeating: " ", count: width - agent.name.count)
            lines.append("  \(padded)  \(agent.place.rawValue)\(agent.canary ? "  (canary)" : "")")
        }
        return lines.joined(separator: "\n")
    }
}
