import Foundation
import Testing

@testable import ZipReader

/// The Go archive/zip test archives in `shared/corpus/zip/go-testdata`, with what MANIFEST.tsv says each
/// must give. Where Go and a safe extractor differ (zip-slip names, escaping links), extraction is refused.
@Suite("Go testdata corpus", .timeLimit(.minutes(5)))
struct CorpusTests {
    enum Expectation: Sendable, CustomStringConvertible {
        /// Opens; the listed entries read back with these contents (nil: only checked to read).
        case reads([String: String?])
        /// Opening fails with this kind.
        case openFails(ZipError.Kind)
        /// Opens, but reading the named entry fails with this kind.
        case entryFails(String, ZipError.Kind)
        /// Opens and reads; extraction is refused with this kind.
        case extractionRefused(ZipError.Kind)

        var description: String { "\(self)" }
    }

    struct Case: Sendable, CustomStringConvertible {
        let file: String
        let expectation: Expectation
        var description: String { file }
    }

    static let testTxt = "This is a test text file.\n"
    static let cases: [Case] = [
        Case(file: "test.zip", expectation: .reads(["test.txt": testTxt, "gophercolor16x16.png": nil])),
        Case(file: "test-trailing-junk.zip", expectation: .reads(["test.txt": testTxt, "gophercolor16x16.png": nil])),
        Case(file: "test-prefix.zip", expectation: .reads(["test.txt": testTxt, "gophercolor16x16.png": nil])),
        Case(file: "test-baddirsz.zip", expectation: .reads(["test.txt": testTxt, "gophercolor16x16.png": nil])),
        Case(file: "test-badbase.zip", expectation: .reads(["test.txt": testTxt, "gophercolor16x16.png": nil])),
        Case(file: "symlink.zip", expectation: .extractionRefused(.unsafe)),
        Case(file: "readme.zip", expectation: .reads(["README": nil])),
        Case(file: "readme.notzip", expectation: .openFails(.notAZip)),
        Case(file: "dd.zip", expectation: .reads(["filename": "This is a test textfile.\n"])),
        Case(
            file: "winxp.zip",
            expectation: .reads(["hello": "world \r\n", "dir/bar": "foo \r\n", "readonly": "important \r\n"])),
        Case(
            file: "unix.zip",
            expectation: .reads(["hello": "world \r\n", "dir/bar": "foo \r\n", "readonly": "important \r\n"])),
        Case(file: "go-no-datadesc-sig.zip", expectation: .reads(["foo.txt": "foo\n", "bar.txt": "bar\n"])),
        Case(file: "go-with-datadesc-sig.zip", expectation: .reads(["foo.txt": "foo\n", "bar.txt": "bar\n"])),
        Case(file: "crc32-not-streamed.zip", expectation: .reads(["foo.txt": "foo\n", "bar.txt": "bar\n"])),
        Case(file: "zip64.zip", expectation: .reads(["README": "This small file is in ZIP64 format.\n"])),
        Case(file: "zip64-2.zip", expectation: .reads(["README": "This small file is in ZIP64 format.\n"])),
        Case(file: "utf8-7zip.zip", expectation: .reads(["世界": ""])),
        Case(file: "utf8-infozip.zip", expectation: .reads(["世界": ""])),
        Case(file: "utf8-osx.zip", expectation: .reads(["世界": ""])),
        Case(file: "utf8-winrar.zip", expectation: .reads(["世界": ""])),
        Case(file: "utf8-winzip.zip", expectation: .reads(["世界": ""])),
        Case(file: "time-7zip.zip", expectation: .reads([:])),
        Case(file: "time-infozip.zip", expectation: .reads([:])),
        Case(file: "time-osx.zip", expectation: .reads([:])),
        Case(file: "time-win7.zip", expectation: .reads([:])),
        Case(file: "time-winrar.zip", expectation: .reads([:])),
        Case(file: "time-winzip.zip", expectation: .reads([:])),
        Case(file: "time-go.zip", expectation: .reads([:])),
        Case(file: "time-22738.zip", expectation: .reads([:])),
        Case(file: "dupdir.zip", expectation: .extractionRefused(.unsafe)),
        Case(file: "subdir.zip", expectation: .reads(["a/b/c": nil])),
        Case(file: "comment-truncated.zip", expectation: .openFails(.corrupt)),
        Case(file: "derived/derived-r.zip", expectation: .reads(["r/r.zip": nil])),
        Case(file: "derived/derived-biggest.zip", expectation: .reads(["bigger.zip": nil])),
        Case(file: "derived/derived-big.zip", expectation: .extractionRefused(.limitExceeded)),
        Case(
            file: "derived/derived-bad-crc32-in-data-descriptor.zip",
            expectation: .entryFails("foo.txt", .checksumMismatch)),
        Case(
            file: "derived/derived-crc32-not-streamed-corrupt.zip",
            expectation: .entryFails("foo.txt", .checksumMismatch)),
        Case(file: "derived/derived-issue10957.zip", expectation: .extractionRefused(.unsafe)),
        Case(file: "derived/derived-issue10956.zip", expectation: .openFails(.corrupt)),
        Case(file: "derived/derived-issue11146.zip", expectation: .entryFails("", .corrupt)),
        Case(file: "derived/derived-issue12449.zip", expectation: .reads([:])),
        Case(file: "derived/derived-cve-2021-27919.zip", expectation: .extractionRefused(.unsafe)),
        Case(file: "derived/derived-cve-2021-33196.zip", expectation: .openFails(.corrupt)),
        Case(file: "derived/derived-cve-2021-39293.zip", expectation: .openFails(.corrupt)),
        Case(file: "derived/derived-cve-2021-41772.zip", expectation: .extractionRefused(.unsafe)),
        Case(file: "derived/derived-compressed-directory.zip", expectation: .reads([:])),
        Case(file: "derived/derived-base-offset-plus-overflow.zip", expectation: .openFails(.corrupt)),
        Case(file: "derived/derived-invalid-zeros-70k.zip", expectation: .openFails(.notAZip)),
        Case(file: "derived/derived-invalid-eocd-sigs-70k.zip", expectation: .openFails(.corrupt)),
    ]

    @Test("every corpus archive behaves as the manifest says", arguments: cases)
    func archiveBehavesAsManifestSays(_ testCase: Case) throws {
        let path = Corpus.path(testCase.file)
        switch testCase.expectation {
        case .openFails(let kind):
            let error = zipError { _ = try ZipArchive(path: path) }
            #expect(error?.kind == kind, "\(error.map(String.init(describing:)) ?? "no error")")
            #expect(error?.archive == path)
        case .reads(let contents):
            let archive = try ZipArchive(path: path)
            #expect(!archive.entries.isEmpty)
            for (name, expected) in contents {
                let entry = try #require(
                    archive.entry(named: name), "no entry \(name) in \(archive.entries.map(\.name))")
                let data = try archive.data(for: entry)
                if let expected { #expect(String(decoding: data, as: UTF8.self) == expected) }
            }
            if testCase.file != "derived/derived-biggest.zip" {
                try archive.test()
            }
        case .entryFails(let name, let kind):
            let archive = try ZipArchive(path: path)
            let entry = try #require(archive.entry(named: name))
            let error = zipError { _ = try archive.data(for: entry) }
            #expect(error?.kind == kind, "\(error.map(String.init(describing:)) ?? "no error")")
            #expect(error?.entry == name)
            // An entry that cannot be read must also fail the extraction of the whole archive.
            let dir = try TempDirectory()
            defer { dir.remove() }
            let extraction = zipError { _ = try archive.extractAll(to: dir.sub("out")) }
            #expect(extraction != nil, "extractAll succeeded although entry \"\(name)\" cannot be read")
        case .extractionRefused(let kind):
            let archive = try ZipArchive(path: path)
            let dir = try TempDirectory()
            defer { dir.remove() }
            let dest = dir.sub("out")
            let error = zipError { _ = try archive.extractAll(to: dest) }
            #expect(error?.kind == kind, "\(error.map(String.init(describing:)) ?? "no error")")
            #expect(!FileManager.default.fileExists(atPath: dest), "a refused archive created its destination")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [])
        }
    }

    @Test func everyArchiveInTheManifestIsCovered() throws {
        let manifest = try String(contentsOf: Corpus.goTestdata.appendingPathComponent("MANIFEST.tsv"), encoding: .utf8)
        let listed = manifest.split(separator: "\n").dropFirst().compactMap {
            $0.split(separator: "\t").first.map(String.init)
        }
        .filter { $0.hasSuffix(".zip") || $0.hasSuffix(".notzip") }
        let covered = Set(Self.cases.map(\.file))
        #expect(listed.count >= 40)
        #expect(Set(listed).subtracting(covered) == [])
    }

    @Test func prefixedArchiveReportsItsPrefixLength() throws {
        let archive = try ZipArchive(path: Corpus.path("test-prefix.zip"))
        // MANIFEST.tsv says 57; the local header starts at byte 43 (`zipinfo` agrees: "43 extra bytes").
        #expect(archive.prefixLength == 43)
        #expect(archive.comment == "This is a zipfile comment.")
        let plain = try ZipArchive(path: Corpus.path("test.zip"))
        #expect(plain.prefixLength == 0)
        #expect(plain.comment == "This is a zipfile comment.")
    }

    @Test func pngMatchesTheFileBesideTheArchive() throws {
        let archive = try ZipArchive(path: Corpus.path("test.zip"))
        let png = try Data(contentsOf: Corpus.goTestdata.appendingPathComponent("gophercolor16x16.png"))
        let entry = try #require(archive.entry(named: "gophercolor16x16.png"))
        #expect(entry.method == .stored)
        #expect(try archive.data(for: entry) == Array(png))
    }

    @Test func modesFromUnixAndWindowsWriters() throws {
        for file in ["unix.zip", "winxp.zip"] {
            let archive = try ZipArchive(path: Corpus.path(file))
            let readonly = try #require(archive.entry(named: "readonly"))
            #expect(readonly.permissions & 0o222 == 0, "\(file): readonly is writable")
            let empty = try #require(archive.entry(named: "dir/empty/"))
            #expect(empty.isDirectory)
        }
        let link = try #require(try ZipArchive(path: Corpus.path("symlink.zip")).entry(named: "symlink"))
        #expect(link.isSymlink)
        #expect(link.unixMode == 0o120777)
    }

    @Test func utf8FlagIsReportedAsStored() throws {
        #expect(try ZipArchive(path: Corpus.path("utf8-7zip.zip")).entries[0].isUTF8Flagged)
        // macOS Archive Utility writes UTF-8 without the flag: valid UTF-8 is taken as UTF-8, not CP437.
        let osx = try ZipArchive(path: Corpus.path("utf8-osx.zip")).entries[0]
        #expect(!osx.isUTF8Flagged)
        #expect(osx.name == "世界")
    }

    @Test func bigEntryDeclaresFourGigabytes() throws {
        let archive = try ZipArchive(path: Corpus.path("derived/derived-big.zip"))
        #expect(archive.entries[0].uncompressedSize == 1 << 32 - 1)
    }
}
