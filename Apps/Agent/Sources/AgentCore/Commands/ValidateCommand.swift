import ArgumentParser

/// `prostagma-agent validate`: check the configuration and every script, print problems, run nothing.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check the configuration and every build script; run nothing.")

    @OptionGroup var flags: AgentFlags

    func run() async throws {
        let settings = try flags.resolve()
        var watches = settings.watches
        if watches.isEmpty, let script = settings.script {
            watches = [.init(trigger: settings.trigger ?? "manual", script: script)]
        }
        guard !watches.isEmpty else { throw AgentError.configuration("no script to validate: set PROSTAGMA_SCRIPT") }
        for watch in watches {
            let script = try ScriptLoader.loadScript(watch.script)
            for line in ScriptLoader.warningLines(script, path: watch.script) { print(line) }
            let params = script.paramNames
            let uses = params.isEmpty ? "" : "; uses params " + params.joined(separator: ", ")
            print("\(watch.script): ok (\(script.steps.count) steps, trigger \(watch.trigger)\(uses))")
        }
    }
}
