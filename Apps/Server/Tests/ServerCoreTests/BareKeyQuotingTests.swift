import Testing

@testable import ServerCore

@Suite(.timeLimit(.minutes(1))) struct BareKeyQuotingTests {
    private func quoted(_ text: String) -> String? {
        BareKeyQuoting.quoted(Array(text.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func theSeedReadmesBodyGetsItsKeyQuoted() {
        #expect(
            quoted(#"{"secret": "s", trigger: "MY_TRIGGER_NAME"}"#) == #"{"secret": "s", "trigger": "MY_TRIGGER_NAME"}"#
        )
        #expect(quoted("{secret:\"s\",\n  $x_1 : 2}") == "{\"secret\":\"s\",\n  \"$x_1\" : 2}")
    }

    @Test func onlyKeysAreTouchedNeverValuesOrStrings() {
        #expect(quoted(#"{"a": true, "b": [null, false], "c": "x, d: 1"}"#) == nil)
        #expect(quoted(#"{"a": "{b: 1}", c: [1, {d: 2}]}"#) == #"{"a": "{b: 1}", "c": [1, {"d": 2}]}"#)
        #expect(quoted(#"["a", {b: "\"quoted, e: 1"}]"#) == #"["a", {"b": "\"quoted, e: 1"}]"#)
    }

    @Test(arguments: [#"{"a": "open"#, #"{a: 1}}"#, "x: 1", #"[a: 1]"#])
    func whatIsNotJSONWithBareKeysIsLeftToTheStrictError(text: String) {
        #expect(quoted(text) == nil)
    }

    @Test func nothingToQuoteIsNil() {
        #expect(quoted(#"{"secret": "s", "trigger": "t"}"#) == nil)
        #expect(quoted("") == nil)
    }
}
