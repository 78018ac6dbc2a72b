import Foundation
import Testing

@testable import ZipReader

/// Methods and features we do not read give an error with the word `unsupported`, the entry and the method.
@Suite("Unsupported features", .timeLimit(.minutes(5)))
struct UnsupportedTests {
    struct Variant: Sendable, CustomStringConvertible {
        let label: String
        let tool: String
        let arguments: [String]
        let mentions: String
        var description: String { label }
    }

    static let variants: [Variant] = [
        Variant(
            label: "7z bzip2", tool: "/usr/bin/7z", arguments: ["a", "-tzip", "-bd", "-mm=BZip2"],
            mentions: "bzip2 (12)"),
        Variant(
            label: "7z LZMA", tool: "/usr/bin/7z", arguments: ["a", "-tzip", "-bd", "-mm=LZMA"], mentions: "LZMA (14)"),
        Variant(
            label: "7z deflate64", tool: "/usr/bin/7z", arguments: ["a", "-tzip", "-bd", "-mm=Deflate64"],
            mentions: "deflate64 (9)"),
        Variant(
            label: "7z PPMd", tool: "/usr/bin/7z", arguments: ["a", "-tzip", "-bd", "-mm=PPMd"], mentions: "PPMd (98)"),
        Variant(
            label: "7z AES-256", tool: "/usr/bin/7z", arguments: ["a", "-tzip", "-bd", "-psecret", "-mem=AES256"],
            mentions: "encrypted"),
        Variant(
            label: "zip -P (ZipCrypto)", tool: "/usr/bin/zip", arguments: ["-q", "-P", "secret"], mentions: "encrypted"),
    ]

    @Test("real archives with unsupported features are refused by name", arguments: variants)
    func unsupportedFeatureIsNamed(_ variant: Variant) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        _ = try dir.write(Array(String(repeating: "some text to compress\n", count: 200).utf8), to: "payload.txt")
        let archive = dir.sub("a.zip")
        let result = try Shell.run(variant.tool, variant.arguments + [archive, "payload.txt"], in: dir.path)
        try #require(result.status == 0, "\(result.output)")
        let parsed = try ZipArchive(path: archive)
        let entry = try #require(parsed.entry(named: "payload.txt"))
        for attempt in [
            { _ = try parsed.data(for: entry) }, { try parsed.test() },
            { _ = try parsed.extractAll(to: dir.sub("out")) },
        ] {
            let error = zipError(attempt)
            #expect(error?.kind == .unsupported)
            let text = error.map(String.init(describing:)) ?? ""
            #expect(text.contains("unsupported"), "\(text)")
            #expect(text.contains("entry \"payload.txt\""), "\(text)")
            #expect(text.contains(variant.mentions), "\(text)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.sub("out")))
    }

    @Test func methodNamesAndNumbers() {
        #expect(CompressionMethod.bzip2.description == "bzip2 (12)")
        #expect(CompressionMethod(rawValue: 77).description == "method (77)")
        #expect(CompressionMethod.deflate.isSupported && CompressionMethod.stored.isSupported)
        #expect(!CompressionMethod.deflate64.isSupported)
    }
}
