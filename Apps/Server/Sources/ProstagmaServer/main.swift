import ServerCore

// Parse and run explicitly: overload resolution here would pick the synchronous `main()`, which refuses
// to run an async root command on Linux.
// `migrate-store` is a command of its own: the server's flags take an optional verb (`server`), which a subcommand
// tree would not leave free.
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "migrate-store" {
    do {
        let command = try MigrateStoreCommand.parse(Array(arguments.dropFirst()))
        try await command.run()
    } catch {
        MigrateStoreCommand.exit(withError: error)
    }
} else {
    do {
        let command = try ServerCommand.parse()
        try await command.run()
    } catch {
        ServerCommand.exit(withError: error)
    }
}
