import AgentCore

await AgentCommand.start()
