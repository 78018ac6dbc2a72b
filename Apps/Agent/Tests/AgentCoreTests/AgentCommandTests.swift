import Testing

@testable import AgentCore

@Suite struct AgentCommandTests {
    @Test func helpNamesTheExecutable() {
        let help = AgentCommand.helpMessage()
        #expect(help.contains("prostagma-agent"))
        #expect(help.contains("--version"))
    }

    @Test func rejectsUnknownFlags() {
        #expect(throws: (any Error).self) { try AgentCommand.parse(["--no-such-flag"]) }
    }
}
