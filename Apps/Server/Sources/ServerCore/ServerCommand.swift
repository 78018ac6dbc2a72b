import ArgumentParser

/// The `prostagma-server` command line.
public struct ServerCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "prostagma-server",
        abstract: "Prostagma server (work in progress: nothing is served yet).",
        version: prostagmaVersion
    )

    public init() {}

    public func run() async throws {}
}

/// The version printed by `--version`.
public let prostagmaVersion = "0.1.0-dev"
