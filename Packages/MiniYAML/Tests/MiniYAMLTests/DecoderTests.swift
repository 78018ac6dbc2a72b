import Testing

@testable import MiniYAML

private func decodeError<T: Decodable>(_ type: T.Type, _ yaml: String) -> YAMLError? {
    do {
        _ = try YAMLDecoder().decode(type, from: yaml, fileName: "script.yml")
        return nil
    } catch {
        return error
    }
}

@Suite(.timeLimit(.minutes(3))) struct DecoderTests {
    @Test func decodesABuildScript() throws {
        let yaml = """
            env: {PORT: 8080, DEBUG: true, EMPTY: "", RATE: 1.50, HEX: 0x10}
            steps:
              - shell: make
                timeout: 10m
              - download:
                  url: https://example.com/a.zip
                  dest: /tmp/a.zip
                  cache: true
                  mode: "0755"
                  retries: 3
                  ratio: 2
            """
        let script = try YAMLDecoder().decode(BuildScript.self, from: yaml, fileName: "s.yml")
        #expect(script.env == ["PORT": "8080", "DEBUG": "true", "EMPTY": "", "RATE": "1.50", "HEX": "0x10"])
        #expect(
            script.steps == [
                .shell("make", timeout: "10m"),
                .download(
                    Download(
                        url: "https://example.com/a.zip", dest: "/tmp/a.zip", cache: true, mode: "0755", retries: 3,
                        ratio: 2),
                    timeout: nil),
            ])
    }

    @Test func allKeysAreInSourceOrder() throws {
        struct Keys: Decodable {
            var keys: [String]
            struct Key: CodingKey {
                var stringValue: String
                var intValue: Int? { nil }
                init(stringValue: String) { self.stringValue = stringValue }
                init?(intValue: Int) { nil }
            }
            init(from decoder: any Decoder) throws {
                keys = try decoder.container(keyedBy: Key.self).allKeys.map(\.stringValue)
            }
        }
        #expect(try YAMLDecoder().decode(Keys.self, from: "z: 1\nb: 2\nm: 3\na: 4").keys == ["z", "b", "m", "a"])
    }

    @Test func stepWithTwoKindsIsAnErrorAtTheStep() throws {
        let error = try #require(
            decodeError(BuildScript.self, "steps:\n  - shell: a\n  - shell: b\n    download: {url: u, dest: d}"))
        #expect(error.message.contains("steps[1]"))
        #expect(error.message.contains("exactly one"))
        #expect((error.line, error.column) == (3, 5))
    }

    @Test func typeMismatchNamesThePathAndPosition() throws {
        let error = try #require(
            decodeError(BuildScript.self, "steps:\n  - download:\n      url: u\n      dest: d\n      retries: many"))
        #expect(error.message.contains("steps[0].download.retries"))
        #expect(error.message.contains("expected an integer, found a string"))
        #expect(error.description.hasPrefix("script.yml:5:16: "))
    }

    @Test func missingKeyNamesTheMappingPosition() throws {
        let error = try #require(decodeError(BuildScript.self, "steps:\n  - download:\n      url: u\n"))
        #expect(error.message.contains("steps[0].download"))
        #expect(error.message.contains("missing key 'dest'"))
        #expect((error.line, error.column) == (3, 7))
    }

    @Test func quotedBooleanIsNotABool() throws {
        let error = try #require(
            decodeError(BuildScript.self, "steps:\n  - download: {url: u, dest: d, cache: \"true\"}"))
        #expect(error.message.contains("steps[0].download.cache"))
        #expect(error.message.contains("expected true or false, found a string"))
    }

    @Test func nullIsNotAString() throws {
        let error = try #require(decodeError([String: String].self, "A: 1\nB:\n"))
        #expect(error.message.contains("B"))
        #expect(error.message.contains("null"))
        #expect((error.line, error.column) == (2, 3))
    }

    @Test func optionalsAndArraysAndNumbers() throws {
        struct Config: Decodable {
            var name: String?
            var count: Int8
            var sizes: [UInt16]
            var ratio: Double
            var flags: [Bool?]
        }
        let config = try YAMLDecoder().decode(
            Config.self, from: "name: ~\ncount: -5\nsizes: [1, 0x10, 0o7]\nratio: 1e-2\nflags: [true, null, False]")
        #expect(config.name == nil)
        #expect(config.count == -5)
        #expect(config.sizes == [1, 16, 7])
        #expect(config.ratio == 0.01)
        #expect(config.flags == [true, nil, false])
    }

    @Test func integerOutOfRangeIsAnError() throws {
        let error = try #require(decodeError([String: UInt8].self, "a: 300"))
        #expect(error.message.contains("does not fit"))
    }

    @Test func parseErrorsPassThroughUnchanged() throws {
        let error = try #require(decodeError([String: String].self, "a: &x 1"))
        #expect(error.description == "script.yml:1:4: unsupported anchor (&) (MiniYAML reads a subset of YAML)")
    }

    @Test func numericMapKeysPrintAsKeysNotIndexes() throws {
        let error = try #require(decodeError([String: [String: Int]].self, "env:\n  2: x"))
        #expect(error.message.hasPrefix("at env.2: expected an integer"))
        #expect((error.line, error.column) == (2, 6))
    }
}
