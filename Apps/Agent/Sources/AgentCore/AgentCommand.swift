import ArgumentParser

/// The `prostagma-agent` command line.
public struct AgentCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "prostagma-agent",
        abstract: "Prostagma agent (work in progress: nothing is served yet).",
        version: prostagmaVersion
    )

    public init() {}

    public func run() async throws {}
}

/// The version printed by `--version`.
public let prostagmaVersion = "0.1.0-dev"
