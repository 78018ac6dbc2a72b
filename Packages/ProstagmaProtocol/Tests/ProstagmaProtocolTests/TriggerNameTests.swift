import ProstagmaProtocol
import Testing

@Suite(.timeLimit(.minutes(1))) struct TriggerNameTests {
    @Test(arguments: ["app", "A-b_c.9", "web.v2", ".hidden", "a..b", "x", String(repeating: "n", count: 128)])
    func namesThatFollowTheRulePass(_ name: String) throws {
        try TriggerName.validate(name)
        #expect(TriggerName.isValid(name))
    }

    @Test(arguments: [
        ("", "empty"), (String(repeating: "n", count: 129), "129 bytes"), ("a b", "' ' at position 2"),
        ("a/b", "'/' at position 2"), ("dé", "non-ASCII"), (".", "only of dots"), ("..", "only of dots"),
        ("...", "only of dots"),
    ])
    func namesOutsideTheRuleAreRefusedSayingWhy(_ name: String, _ expected: String) {
        #expect(!TriggerName.isValid(name))
        #expect(throws: ProtocolError.self) { try TriggerName.validate(name) }
        do {
            try TriggerName.validate(name)
        } catch {
            #expect(error.kind == .invalidTriggerName)
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }
}
