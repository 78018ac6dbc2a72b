import ServerCore

// Parse and run explicitly: overload resolution here would pick the synchronous `main()`, which refuses
// to run an async root command on Linux.
do {
    let command = try ServerCommand.parse()
    try await command.run()
} catch {
    ServerCommand.exit(withError: error)
}
