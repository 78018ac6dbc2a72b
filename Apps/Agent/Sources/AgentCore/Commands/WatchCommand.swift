import ArgumentParser
import Logging

/// `prostagma-agent watch` (the default; `client` as in the original): watch and run until SIGTERM.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch", abstract: "Watch the trigger(s) and run their scripts (the default).",
        aliases: ["client"])

    @OptionGroup var flags: AgentFlags

    func run() async throws {
        let logger = AgentLogging.logger()
        let configuration = try flags.resolve().forWatching()
        let transport = try ClientTransport(caFile: configuration.caFile)
        do {
            try await AgentRuntime(
                configuration: configuration, transport: transport, extractor: ZipExtractor(), logger: logger
            ).run()
            try await transport.shutdown()
        } catch {
            try? await transport.shutdown()
            throw error
        }
    }
}
