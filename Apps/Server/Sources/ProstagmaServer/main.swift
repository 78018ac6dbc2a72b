import ServerCore

await ServerCommand.main()
