import Testing

@testable import ServerCore

@Suite struct ServerCommandTests {
    @Test func helpNamesTheExecutable() {
        let help = ServerCommand.helpMessage()
        #expect(help.contains("prostagma-server"))
        #expect(help.contains("--version"))
    }

    @Test func rejectsUnknownFlags() {
        #expect(throws: (any Error).self) { try ServerCommand.parse(["--no-such-flag"]) }
    }
}
