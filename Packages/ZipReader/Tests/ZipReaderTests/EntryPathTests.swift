import Testing

@testable import ZipReader

@Suite("Entry paths", .timeLimit(.minutes(5)))
struct EntryPathTests {
    private func components(_ name: String) throws -> [String] {
        try EntryPath.components(of: ZipArchive(bytes: ZipBuilder([.init(name, "x")]).build()).entries[0])
    }

    @Test(arguments: [("a/b/c.txt", ["a", "b", "c.txt"]), ("./a//b", ["a", "b"]), ("a/./b/", ["a", "b"])])
    func normalisesHarmlessNames(_ name: String, _ expected: [String]) throws {
        #expect(try components(name) == expected)
    }

    @Test(arguments: ["../a", "a/../../b", "a/..", "/etc/passwd", "//x", "a\\b", "..\\..\\x", ""])
    func refusesUnsafeNames(_ name: String) {
        #expect(throws: ZipError.self) { try components(name) }
    }

    @Test func dotDotInsideANameIsNotAComponent() throws {
        #expect(try components("a/..b/c..") == ["a", "..b", "c.."])
    }

    @Test(arguments: [
        (["lib", "link"], "../bin/tool", [String: String](), true),
        (["link"], "sub/../file", [:], true),
        (["link"], "..", [:], false),
        (["a", "b", "link"], "../../..", [:], false),
        (["link"], "/abs", [:], false),
        (["up"], "here/..", ["here": "."], false),
        (["up"], "deep/..", ["deep": "a/b"], true),
        (["loop"], "x", ["x": "y", "y": "x"], false),
    ])
    func symlinkTargets(_ link: [String], _ target: String, _ links: [String: String], _ inside: Bool) {
        #expect(EntryPath.linkStaysInside(link: link, target: target, links: links) == inside)
    }
}
