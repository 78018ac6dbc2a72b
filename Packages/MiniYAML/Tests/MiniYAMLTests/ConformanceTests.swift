import Foundation
import Testing

@testable import MiniYAML

/// The yaml-test-suite: every valid case parses to its in.json (and its test.event) or is refused as
/// unsupported; every invalid case is refused; nothing is ever mis-parsed.
@Suite(.timeLimit(.minutes(3))) struct ConformanceTests {
    @Test func yamlTestSuiteHasNoMisparseAndNoWrongRejection() throws {
        let cases = try Corpus.cases()
        #expect(cases.count == 402)
        var equal = 0
        var rejected = 0
        var rejectedUnsupported = 0
        var misparsed: [String] = []
        var wronglyRejected: [String] = []
        for testCase in cases {
            let bytes = Array(try Data(contentsOf: Corpus.file(testCase.id, "in.yaml")))
            let node: YAMLNode
            do {
                node = try YAMLParser.parse(bytes: bytes, fileName: testCase.id)
            } catch {
                if testCase.isError {
                    rejected += 1
                } else if error.message.contains("unsupported") {
                    rejectedUnsupported += 1
                } else {
                    wronglyRejected.append("\(testCase.id) (\(testCase.subset)): \(error)")
                }
                continue
            }
            if testCase.isError {
                misparsed.append("\(testCase.id): accepted invalid YAML")
                continue
            }
            let eventsText = try String(contentsOf: Corpus.file(testCase.id, "test.event"), encoding: .utf8)
            let expectedEvents = normalizedEvents(eventsText)
            guard node.events == expectedEvents else {
                misparsed.append("\(testCase.id): events \(node.events) != \(expectedEvents)")
                continue
            }
            if testCase.hasJSON {
                let json = try String(contentsOf: Corpus.file(testCase.id, "in.json"), encoding: .utf8)
                let documents = try JSONValue.parseStream(json)
                guard documents.count == 1, documents[0] == node.json else {
                    misparsed.append("\(testCase.id): \(node.json) != \(documents)")
                    continue
                }
            }
            equal += 1
        }
        print(
            "yaml-test-suite: \(equal) equal, \(rejected) invalid rejected, \(rejectedUnsupported) rejected as "
                + "unsupported, \(misparsed.count) mis-parsed, 0 crashed, \(wronglyRejected.count) valid rejected "
                + "without 'unsupported' (of \(cases.count))")
        #expect(misparsed.isEmpty, "\(misparsed.joined(separator: "\n"))")
        #expect(wronglyRejected.isEmpty, "\(wronglyRejected.joined(separator: "\n"))")
        #expect(equal + rejected + rejectedUnsupported == cases.count)
    }

    @Test func strictCoreCasesAllParse() throws {
        let index = try String(contentsOf: Corpus.root.appendingPathComponent("index.tsv"), encoding: .utf8)
        let strict = index.split(separator: "\n").dropFirst().map { $0.split(separator: "\t").map(String.init) }
            .filter { $0[5] == "yes" }.map { $0[0] }
        #expect(strict.count == 68)
        for id in strict {
            let bytes = Array(try Data(contentsOf: Corpus.file(id, "in.yaml")))
            #expect(throws: Never.self, "\(id)") { try YAMLParser.parse(bytes: bytes, fileName: id) }
        }
    }
}
