import ServerCore

// Parse and run explicitly: overload resolution here would pick the synchronous `main()`, which refuses
// to run an async root command on Linux.
await ServerCommand.parseAndRun()
