import Testing

@testable import MiniYAML

/// Records the `userInfo` value its decoder carries, whatever node it is decoded from.
private struct Probe: Decodable {
    static let key = CodingUserInfoKey(rawValue: "test.token")!
    var token: String?

    init(from decoder: any Decoder) throws {
        token = decoder.userInfo[Self.key] as? String
    }
}

/// Probes reached through every kind of container.
private struct Probes: Decodable {
    var direct: Probe
    var list: [Probe]
    var nested: [String: [Probe]]
    var top: Probe?

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        direct = try container.decode(Probe.self, forKey: .direct)
        list = try container.decode([Probe].self, forKey: .list)
        nested = try container.decode([String: [Probe]].self, forKey: .nested)
        top = try Probe(from: container.superDecoder(forKey: .direct))
    }

    enum CodingKeys: CodingKey { case direct, list, nested }

    var all: [String?] { [direct.token, top?.token] + list.map(\.token) + nested.values.flatMap { $0.map(\.token) } }
}

/// A type that rejects keys it does not know, as configuration types do.
private struct Strict: Decodable {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        for key in container.allKeys where key.stringValue != "name" {
            throw DecodingError.dataCorrupted(
                .init(codingPath: container.codingPath + [key], debugDescription: "unknown key `\(key.stringValue)`"))
        }
    }
}

@Suite(.timeLimit(.minutes(3))) struct UserInfoAndPositionTests {
    @Test func userInfoReachesEveryNestedDecoder() throws {
        let yaml = "direct: 1\nlist: [2, {a: 3}]\nnested: {x: [4], y: [5, 6]}"
        var decoder = YAMLDecoder()
        decoder.userInfo[Probe.key] = "token"
        let probes = try decoder.decode(Probes.self, from: yaml)
        #expect(probes.all.count == 7)
        #expect(probes.all.allSatisfy { $0 == "token" })
        #expect(try YAMLDecoder().decode(Probes.self, from: yaml).all.allSatisfy { $0 == nil })
        #expect(try YAMLDecoder(userInfo: [Probe.key: "given"]).decode(Probe.self, from: "1").token == "given")
    }

    @Test func anUnknownKeyThrownByTheTypeIsAtTheKey() throws {
        let error = try #require(throws: YAMLError.self) {
            try YAMLDecoder().decode([Strict].self, from: "- name: a\n  colour: {r: 1}", fileName: "s.yml")
        }
        #expect(error.reason == "unknown key `colour`")
        #expect(error.keyMark == YAMLMark(line: 2, column: 3))
        #expect((error.line, error.column) == (2, 11))
    }

    @Test func aWrongTypeIsAtItsKeyAndAMissingFieldAtTheMappingsKey() throws {
        let mismatch = try #require(throws: YAMLError.self) {
            try YAMLDecoder().decode(
                BuildScript.self, from: "steps:\n  - download:\n      url: u\n      dest: d\n      retries: many")
        }
        #expect(mismatch.keyMark == YAMLMark(line: 5, column: 7))
        #expect(mismatch.reason == "expected an integer, found a string")
        let missing = try #require(throws: YAMLError.self) {
            try YAMLDecoder().decode(BuildScript.self, from: "steps:\n  - download:\n      url: u\n")
        }
        #expect(missing.keyMark == YAMLMark(line: 2, column: 5))
        #expect(missing.reason == "missing key 'dest'")
    }

    @Test func aSequenceItemOrTheDocumentHasNoKey() throws {
        let item = try #require(throws: YAMLError.self) {
            try YAMLDecoder().decode([Int].self, from: "- 1\n- x")
        }
        #expect(item.keyMark == YAMLMark(line: 2, column: 3))
        #expect((item.line, item.column) == (2, 3))
        let document = try #require(throws: YAMLError.self) { try YAMLDecoder().decode([Int].self, from: "a: 1") }
        #expect(document.keyMark == YAMLMark(line: 1, column: 1))
        #expect(document.reason == "expected a list, found a mapping")
    }

    @Test func aParseErrorsReasonIsItsMessage() throws {
        let error = try #require(throws: YAMLError.self) { try YAMLDecoder().decode([String].self, from: "- *x") }
        #expect(error.reason == error.message)
        #expect(error.keyMark == YAMLMark(line: error.line, column: error.column))
    }

    @Test func locateFollowsKeysIndexesAndIndexesWrittenAsText() throws {
        let root = try YAMLParser.parse("steps:\n  - shell: a\n  - download:\n      url: u\n")
        struct Text: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
        let path = ["steps", "1", "download", "url"].map(Text.init(stringValue:))
        #expect(root.locate(codingPath: path) == YAMLMark(line: 4, column: 7))
        #expect(root.locate(codingPath: Array(path.prefix(3))) == YAMLMark(line: 3, column: 5))
        #expect(root.locate(codingPath: Array(path.prefix(2))) == YAMLMark(line: 3, column: 5))
        #expect(root.locate(codingPath: [Text(stringValue: "nothing")]) == YAMLMark(line: 1, column: 1))
        #expect(root.locate(codingPath: []) == root.mark)
    }
}
