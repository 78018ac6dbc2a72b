import Testing

@testable import ServerCore

@Suite(.timeLimit(.minutes(2))) struct JSONSyntaxCheckerTests {
    @Test func theOriginalREADMEsUnquotedKeyIsExplained() {
        let failure = JSONSyntaxChecker().check(#"{"secret": "x", trigger: "MY"}"#)
        #expect(
            failure?.description == "line 1, column 17: object keys must be double-quoted strings (found 'trigger')")
    }

    @Test(arguments: [
        #"{}"#, #"[]"#, #"{"a": [1, -2.5e+3, true, false, null, "x\n\u00e9"]}"#, " 42 ", #""é""#,
        "{\n  \"a\": {\"b\": []}\n}",
    ])
    func validDocumentsPass(text: String) {
        #expect(JSONSyntaxChecker().check(text) == nil)
    }

    @Test(arguments: [
        ("", 1, 1, "empty"),
        ("{\"a\": 1,}", 1, 9, "trailing comma"),
        ("{\"a\" 1}", 1, 6, "expected ':'"),
        ("{\"a\": 1\n \"b\": 2}", 2, 2, "expected ',' or '}'"),
        ("[1, 2", 1, 6, "not closed"),
        ("{'a': 1}", 1, 2, "single-quoted"),
        ("{\"a\": 'x'}", 1, 7, "double quotes"),
        ("{\"a\": tru}", 1, 7, "true"),
        ("{\"a\": 01}", 1, 8, "leading zeros"),
        ("{\"a\": \"x\ty\"}", 1, 9, "control characters"),
        ("{\"a\": \"\\q\"}", 1, 9, "invalid escape"),
        ("{} x", 1, 4, "after the end"),
        ("{\"é\": 1,, }", 1, 9, "keys must be"),
        ("{\"a\": \"unterminated", 1, 20, "opened at line 1, column 7"),
    ])
    func errorsSayWhereAndWhat(text: String, line: Int, column: Int, fragment: String) throws {
        let failure = try #require(JSONSyntaxChecker().check(text))
        #expect(failure.line == line)
        #expect(failure.column == column)
        #expect(failure.message.contains(fragment), "\(failure)")
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let text = String(repeating: "[", count: 100_000)
        let failure = JSONSyntaxChecker().check(text)
        #expect(failure?.message.contains("nesting") == true)
    }

    @Test func invalidUTF8IsReported() {
        let failure = JSONSyntaxChecker().check([UInt8(ascii: "\""), 0xFF, UInt8(ascii: "\"")])
        #expect(failure?.message.contains("UTF-8") == true)
    }

    @Test func bodyDecoderExplainsMissingFieldsAndWrongTypes() {
        struct Body: Decodable {
            var secret: String
            var trigger: String
        }
        let decoder = BodyDecoder()
        #expect(throws: ServerError.malformedJSON("missing field 'trigger'")) {
            try decoder.decode(Body.self, from: Array(#"{"secret": "x"}"#.utf8))
        }
        #expect(throws: ServerError.malformedJSON("line 1, column 28: field 'trigger' must be a string")) {
            try decoder.decode(Body.self, from: Array(#"{"secret": "x", "trigger": 5}"#.utf8))
        }
        #expect(
            throws: ServerError.malformedJSON(
                "line 1, column 17: object keys must be double-quoted strings (found 'trigger')")
        ) {
            try decoder.decode(Body.self, from: Array(#"{"secret": "x", trigger: "MY"}"#.utf8))
        }
        #expect(throws: ServerError.self) { try decoder.decode(Body.self, from: []) }
        #expect(throws: ServerError.tooLarge("the JSON body is 65537 bytes; the limit is 65536")) {
            try decoder.decode(Body.self, from: [UInt8](repeating: 0x20, count: 65537))
        }
    }
}
