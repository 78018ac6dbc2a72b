import Foundation
import Testing
import ZipReaderCLI

@testable import ZipReader

/// The `zipreader` command: list, test, extract; exit 0 on success, 1 with one line on stderr otherwise.
@Suite("zipreader command", .timeLimit(.minutes(5)))
struct CommandTests {
    struct Run {
        let status: Int32
        let output: [String]
        let errors: [String]
    }

    func run(_ arguments: [String]) -> Run {
        var output: [String] = []
        var errors: [String] = []
        let status = ZipReaderCommand.run(arguments, output: { output.append($0) }, error: { errors.append($0) })
        return Run(status: status, output: output, errors: errors)
    }

    @Test func listPrintsEveryEntry() {
        let result = run(["list", Corpus.path("unix.zip")])
        #expect(result.status == 0)
        #expect(result.output.contains { $0.hasSuffix(" dir/bar") })
        #expect(result.output.last == "4 entries, 26 bytes")
        #expect(result.errors.isEmpty)
    }

    @Test func testSucceedsOnAGoodArchiveAndFailsOnABadCRC() {
        #expect(run(["test", Corpus.path("test.zip")]).status == 0)
        let bad = run(["test", Corpus.path("derived/derived-crc32-not-streamed-corrupt.zip")])
        #expect(bad.status == 1)
        #expect(bad.errors.count == 1)
        #expect(bad.errors.first?.contains("entry \"foo.txt\": CRC-32 mismatch") == true)
        #expect(bad.errors.first?.contains("\n") == false)
    }

    @Test func extractHonoursOverwrite() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let dest = dir.sub("out")
        #expect(run(["extract", Corpus.path("test.zip"), dest]).status == 0)
        #expect(try String(contentsOfFile: dest + "/test.txt", encoding: .utf8) == "This is a test text file.\n")
        let again = run(["extract", Corpus.path("test.zip"), dest])
        #expect(again.status == 1)
        #expect(again.errors.first?.contains("overwrite is off") == true)
        #expect(run(["extract", Corpus.path("test.zip"), dest, "--overwrite"]).status == 0)
    }

    @Test func extractRefusesZipSlipWithOneLine() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let result = run(["extract", Corpus.path("derived/derived-cve-2021-27919.zip"), dir.sub("out")])
        #expect(result.status == 1)
        #expect(
            result.errors == [
                "zipreader: \(Corpus.path("derived/derived-cve-2021-27919.zip")): entry \"../test.txt\": unsafe: the name has a \"..\" component"
            ])
    }

    @Test(arguments: [[], ["list"], ["frobnicate", "x"], ["extract", "a.zip"], ["extract", "a", "b", "--bogus"]])
    func usageErrorsExitOne(_ arguments: [String]) {
        let result = run(arguments)
        #expect(result.status == 1)
        #expect(result.errors.first?.hasPrefix("zipreader: ") == true)
    }

    @Test func notAZipExitsOne() {
        let result = run(["list", Corpus.path("readme.notzip")])
        #expect(result.status == 1)
        #expect(result.errors.first?.contains("not a zip archive") == true)
    }

    @Test func listSaturatesAHugeTotal() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        var entry = ZipBuilder.Entry("a", "x")
        entry.uncompressedSize = .max
        var builder = ZipBuilder([entry, entry])
        builder.zip64 = true
        let path = try dir.write(builder.build(), to: "huge.zip")
        let result = run(["list", path])
        #expect(result.status == 0)
        #expect(result.output.last == "2 entries, \(UInt64.max) bytes")
    }
}
