import Foundation

/// The yaml-test-suite copy beside the repository: `<repo>/../shared/corpus/yaml-test-suite`.
enum Corpus {
    struct Case: Sendable, CustomStringConvertible {
        var id: String
        var name: String
        var isError: Bool
        var hasJSON: Bool
        var subset: String
        var description: String { id }
    }

    static var root: URL {
        // #filePath is Packages/MiniYAML/Tests/MiniYAMLTests/Support/Corpus.swift: seven components up is the folder holding the repo.
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<7 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("shared/corpus/yaml-test-suite")
    }

    static func cases() throws -> [Case] {
        let index = try String(contentsOf: root.appendingPathComponent("index.tsv"), encoding: .utf8)
        return index.split(separator: "\n").dropFirst().map { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return Case(id: f[0], name: f[1], isError: f[2] == "yes", hasJSON: f[3] == "yes", subset: f[4])
        }
    }

    static func file(_ id: String, _ name: String) -> URL {
        root.appendingPathComponent("cases").appendingPathComponent(id).appendingPathComponent(name)
    }
}
