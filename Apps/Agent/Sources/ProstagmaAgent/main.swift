import AgentCore

await AgentCommand.main()
