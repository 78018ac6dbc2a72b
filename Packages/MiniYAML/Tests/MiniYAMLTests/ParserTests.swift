import Testing

@testable import MiniYAML

/// Parses and renders as compact JSON-like text for short expectations.
private func json(_ yaml: String) throws -> String {
    try YAMLParser.parse(yaml).jsonText().split(separator: "\n").map { $0.trimmingPrefixSpaces() }.joined()
}

extension Substring {
    fileprivate func trimmingPrefixSpaces() -> String { String(drop { $0 == " " }) }
}

private func parseError(_ yaml: String) -> YAMLError? {
    do {
        _ = try YAMLParser.parse(yaml, fileName: "t.yaml")
        return nil
    } catch {
        return error
    }
}

@Suite(.timeLimit(.minutes(3))) struct ParserTests {
    @Test func buildScriptParsesInOrder() throws {
        let yaml = """
            env: {KEY: value, N: 1}
            steps:
              - shell: echo one line   # comment
              - shell: |
                  cd /srv/app
                  ./migrate
                timeout: 10m
              - download:
                  url: https://example.com/app.zip
                  mode: "0755"
                  cache: false
            """
        let node = try YAMLParser.parse(yaml)
        guard case .mapping(let pairs, _) = node else {
            Issue.record("not a mapping")
            return
        }
        #expect(pairs.map { $0.key.text } == ["env", "steps"])
        let steps = node["steps"]
        guard case .sequence(let items, let mark) = steps else {
            Issue.record("steps not a sequence")
            return
        }
        #expect(mark == YAMLMark(line: 3, column: 3))
        #expect(items.count == 3)
        #expect(items[1]["shell"]?.text == "cd /srv/app\n./migrate\n")
        #expect(items[1]["timeout"]?.text == "10m")
        #expect(items[2]["download"]?["url"]?.text == "https://example.com/app.zip")
        #expect(items[2]["download"]?["mode"]?.scalarValue == .string("0755"))
        #expect(items[2]["download"]?["cache"]?.scalarValue == .bool(false))
        #expect(node["env"]?["N"]?.scalarValue == .int(1))
    }

    @Test(arguments: [
        ("a: null", YAMLScalarValue.null), ("a: ~", .null), ("a:", .null), ("a: NULL", .null),
        ("a: true", .bool(true)), ("a: False", .bool(false)), ("a: yes", .string("yes")), ("a: on", .string("on")),
        ("a: 12", .int(12)), ("a: -3", .int(-3)), ("a: +7", .int(7)), ("a: 012", .int(12)), ("a: 0o17", .int(15)),
        ("a: 0x1F", .int(31)), ("a: 0b11", .string("0b11")), ("a: 1_000", .string("1_000")),
        ("a: 1.5", .double(1.5)), ("a: .5", .double(0.5)), ("a: 1.", .double(1)), ("a: 1e3", .double(1000)),
        ("a: -.inf", .double(-.infinity)), ("a: .Inf", .double(.infinity)), ("a: 12:30", .string("12:30")),
        ("a: '12'", .string("12")), ("a: \"true\"", .string("true")), ("a: 0x", .string("0x")),
        ("a: 99999999999999999999", .bigInt("99999999999999999999")),
        ("a: 0xFFFFFFFFFFFFFFFFFF", .bigInt("4722366482869645213695")),
    ])
    func scalarsResolveByTheCoreSchema(yaml: String, expected: YAMLScalarValue) throws {
        #expect(try YAMLParser.parse(yaml)["a"]?.scalarValue == expected)
    }

    @Test func nanResolvesToNaN() throws {
        guard case .double(let value) = try YAMLParser.parse("a: .nan")["a"]?.scalarValue else {
            Issue.record("not a double")
            return
        }
        #expect(value.isNaN)
    }

    @Test(arguments: [
        ("a: 'it''s'", "it's"),
        ("a: \"tab\\tnl\\n\\x41\\u263A\\U0001F600\\\\\"", "tab\tnl\nA\u{263A}\u{1F600}\\"),
        ("a: \"one\n  two\n\n  three\"", "one two\nthree"),
        ("a: \"join\\\n  ed\"", "joined"),
        ("a: plain\n  continued\n\n  para", "plain continued\npara"),
        ("a: >\n  folded\n  text\n\n  next\n", "folded text\nnext\n"),
        ("a: |-\n  keep\n   indent\n", "keep\n indent"),
        ("a: |+\n  keep\n\n", "keep\n\n"),
        ("a: |2\n    two extra\n", "  two extra\n"),
        ("a: # comment\n  value", "value"),
        ("a: x # not part", "x"),
        ("a: x#y", "x#y"),
    ])
    func scalarStylesDecodeExactly(yaml: String, expected: String) throws {
        #expect(try YAMLParser.parse(yaml)["a"]?.text == expected)
    }

    @Test func sequenceAtTheParentKeysIndentation() throws {
        #expect(try json("a:\n- 1\n- x\nb: 2") == #"{"a": [1,"x"],"b": 2}"#)
    }

    @Test func flowCollectionsNestAndSpanLines() throws {
        #expect(try json("a: [1, {b: c, d: [e]},\n  \"f\"]") == #"{"a": [1,{"b": "c","d": ["e"]},"f"]}"#)
        #expect(try json("[a: b]") == #"[{"a": "b"}]"#)
        #expect(try json("{a, b: }") == #"{"a": null,"b": null}"#)
    }

    @Test func documentMarkersAroundOneDocument() throws {
        #expect(try json("---\na: 1\n...\n# done\n") == #"{"a": 1}"#)
        #expect(try json("--- text\n") == #""text""#)
    }

    @Test(arguments: [
        ("a: &x 1", "anchor", 1, 4), ("a: *x", "alias", 1, 4), ("a: !!str 1", "tag", 1, 4),
        ("? a\n: b", "complex mapping key", 1, 1), ("[a]: b", "complex mapping key", 1, 1),
        ("%YAML 1.2\n---\na", "directive", 1, 1), ("a: 1\n---\nb: 2", "multiple documents", 2, 1),
        ("a: 1\n...\nb: 2", "multiple documents", 3, 1), ("", "empty stream", 1, 1),
        ("x:\n  - &a b", "anchor", 2, 5),
    ])
    func outOfSubsetConstructsAreUnsupported(yaml: String, construct: String, line: Int, column: Int) throws {
        let error = try #require(parseError(yaml))
        #expect(error.message.contains("unsupported"))
        #expect(error.message.contains(construct))
        #expect(error.line == line)
        #expect(error.column == column)
        #expect(error.description.hasPrefix("t.yaml:\(line):\(column): unsupported"))
    }

    @Test(arguments: [
        ("a: 1\na: 2", 2, 1), ("a: 1\n\"a\": 2", 2, 1), ("{1: a, 0x1: b}", 1, 8), ("1: a\n01: b", 2, 1),
    ])
    func duplicateKeysAreErrors(yaml: String, line: Int, column: Int) throws {
        let error = try #require(parseError(yaml))
        #expect(error.message.contains("duplicate"))
        #expect(error.line == line && error.column == column)
    }

    @Test func aQuotedAndAPlainKeyOfDifferentTypesAreDistinct() throws {
        #expect(try json("1: a\n\"1\": b") == #"{"1": "a","1": "b"}"#)
    }

    @Test(arguments: [
        "a: b: c", "a:\n  b\n c: d", "- a\nb: c", "a: 'x", "a: \"\\q\"", "a: [1, 2", "a:\n\t- b", "key: - a",
        "a: b\n  c: d", "a: |0\n  x", "a:\n  - b\n - c", "\"a\nb\": c", "a: x\u{01}",
    ])
    func invalidInputIsRejectedWithAPosition(yaml: String) throws {
        let error = try #require(parseError(yaml))
        #expect(error.line >= 1 && error.column >= 1)
        #expect(error.description.hasPrefix("t.yaml:\(error.line):\(error.column): "))
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let error = try #require(parseError("ä: &x 1"))
        #expect(error.column == 4)
    }

    @Test func crlfLineEndingsReadAsLF() throws {
        #expect(try json("a: |\r\n  x\r\n  y\r\nb: 1\r\n") == #"{"a": "x\ny\n","b": 1}"#)
    }

    @Test func deepNestingIsAnErrorNotACrash() throws {
        let error = try #require(parseError(String(repeating: "[", count: 5000)))
        #expect(error.message.contains("nesting"))
    }

    @Test func mappingOrderIsKept() throws {
        guard case .mapping(let pairs, _) = try YAMLParser.parse("z: 1\na: 2\nm: 3") else {
            Issue.record("not a mapping")
            return
        }
        #expect(pairs.map { $0.key.text } == ["z", "a", "m"])
    }

    @Test func jsonTextIsValidAndReparses() throws {
        let node = try YAMLParser.parse("a: [1, 2.5, \"x\\u0001\", .inf, ~]\nb: {c: true}")
        let text = node.jsonText()
        #expect(text.contains("\"x\\u0001\""))
        #expect(text.contains("\".inf\""))
        #expect(try YAMLParser.parse(text).jsonText() == text)
    }

    @Test(arguments: [
        ("- \t- a", "tab"), ("-\ta: b", "tab"), ("foo: |\n\t\nbar: 1", "tab"), ("a:\n\tb: 1", ""),
    ])
    func tabsCannotIndentBlockStructure(yaml: String, word: String) throws {
        let error = try #require(parseError(yaml))
        #expect(word.isEmpty || error.message.contains(word))
    }

    @Test func tabsMaySeparateScalarsAndFlowCollections() throws {
        #expect(try json("- \t[a]\n-\tb") == #"[["a"],"b"]"#)
        #expect(try json("a:\tb\nc: 1 \t\n\t\nd: [x]") == #"{"a": "b","c": 1,"d": ["x"]}"#)
        #expect(try json("foo:\n \tbar") == #"{"foo": "bar"}"#)
    }

    @Test func blockScalarAtEndOfInputWithoutLineBreakKeepsItsFinalNewline() throws {
        // As the yaml-test-suite reads it (L24T-01, JEF9-02); libyaml drops the newline here.
        #expect(try YAMLParser.parse("a: |\n  x")["a"]?.text == "x\n")
        #expect(try YAMLParser.parse("a: |-\n  x")["a"]?.text == "x")
    }

    @Test func topLevelBlockScalarMayStartAtColumnOne() throws {
        #expect(try YAMLParser.parse("--- >\nline1\nline2\n").text == "line1 line2\n")
    }
}
