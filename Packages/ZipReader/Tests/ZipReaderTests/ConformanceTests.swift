import Foundation
import Testing

@testable import ZipReader

/// Archives written by Info-ZIP `zip`, Python's `zipfile` and `7z`, extracted by us and by Info-ZIP `unzip`:
/// the two trees must match file by file (names, bytes, modes, symbolic-link targets).
@Suite("Conformance with Info-ZIP unzip", .serialized, .timeLimit(.minutes(5)))
struct ConformanceTests {
    /// Builds the source tree every archiver packs.
    static func makeSourceTree(at root: String) throws {
        let fm = FileManager.default
        func file(_ path: String, _ bytes: [UInt8], mode: Int = 0o644) throws {
            let full = root + "/" + path
            try fm.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: full))
            try fm.setAttributes([.posixPermissions: mode], ofItemAtPath: full)
        }
        var random = [UInt8](repeating: 0, count: 300_000)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in random.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            random[i] = UInt8(truncatingIfNeeded: state >> 33)
        }
        try file("hello.txt", Array("hello, world\n".utf8))
        try file("empty.txt", [])
        try file("bin/run.sh", Array("#!/bin/sh\necho run\n".utf8), mode: 0o755)
        try file("data/random.bin", random)
        try file("data/text.txt", Array(String(repeating: "compressible line\n", count: 5000).utf8))
        try file("nested/deep/a/b/c.txt", Array("deep\n".utf8), mode: 0o600)
        try file("readonly.txt", Array("ro\n".utf8), mode: 0o444)
        try file("with space/ünïcödé 日本.txt", Array("unicode\n".utf8))
        try fm.createDirectory(atPath: root + "/emptydir", withIntermediateDirectories: true)
        try fm.setAttributes([.posixPermissions: 0o750], ofItemAtPath: root + "/emptydir")
        try fm.createSymbolicLink(atPath: root + "/link-to-hello", withDestinationPath: "hello.txt")
        try fm.createSymbolicLink(atPath: root + "/nested/link-up", withDestinationPath: "../data/text.txt")
    }

    enum Writer: String, CaseIterable, Sendable {
        case infoZip = "zip -r -y"
        case infoZipStored = "zip -r -y -0"
        case infoZipZip64 = "zip -r -y -fz (zip64)"
        case python = "python zipfile"
        case pythonStreamed = "python zipfile to a pipe (data descriptors)"
        case sevenZip = "7z a -tzip"
        case sevenZipStored = "7z a -tzip -mx=0"
    }

    static let pythonWriter = """
        import os, stat, sys, zipfile
        src, out, streamed = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
        target = open(out, "wb")
        class Unseekable:
            def __init__(self, f): self.f = f
            def write(self, b): return self.f.write(b)
            def flush(self): self.f.flush()
        with zipfile.ZipFile(Unseekable(target) if streamed else target, "w", zipfile.ZIP_DEFLATED) as z:
            for dirpath, dirnames, filenames in os.walk(src):
                dirnames.sort()
                for name in sorted(dirnames) + sorted(filenames):
                    full = os.path.join(dirpath, name)
                    rel = os.path.relpath(full, src)
                    st = os.lstat(full)
                    if stat.S_ISLNK(st.st_mode):
                        info = zipfile.ZipInfo(rel)
                        info.create_system = 3
                        info.external_attr = (stat.S_IFLNK | 0o777) << 16
                        z.writestr(info, os.readlink(full))
                    elif stat.S_ISDIR(st.st_mode):
                        if not os.listdir(full):
                            z.write(full, rel)
                    else:
                        z.write(full, rel)
        target.close()
        """

    static func makeArchive(_ writer: Writer, source: String, archive: String) throws {
        let result: Shell.Result
        switch writer {
        case .infoZip: result = try Shell.run("/usr/bin/zip", ["-q", "-r", "-y", archive, "."], in: source)
        case .infoZipStored: result = try Shell.run("/usr/bin/zip", ["-q", "-r", "-y", "-0", archive, "."], in: source)
        case .infoZipZip64: result = try Shell.run("/usr/bin/zip", ["-q", "-r", "-y", "-fz", archive, "."], in: source)
        case .python: result = try Shell.run(Shell.python, ["-c", pythonWriter, source, archive, "0"])
        case .pythonStreamed: result = try Shell.run(Shell.python, ["-c", pythonWriter, source, archive, "1"])
        case .sevenZip: result = try Shell.run("/usr/bin/7z", ["a", "-tzip", "-bd", archive, "."], in: source)
        case .sevenZipStored:
            result = try Shell.run("/usr/bin/7z", ["a", "-tzip", "-bd", "-mx=0", archive, "."], in: source)
        }
        try #require(result.status == 0, "\(writer.rawValue) failed: \(result.output)")
    }

    /// Extracts `archive` with us and with `unzip`, and returns both trees.
    static func bothExtractions(of archive: String, in dir: TempDirectory) throws -> (
        ours: TreeSnapshot, unzip: TreeSnapshot
    ) {
        let ours = dir.sub("ours")
        let reference = dir.sub("unzip")
        _ = try ZipArchive(path: archive).extractAll(to: ours)
        try FileManager.default.createDirectory(atPath: reference, withIntermediateDirectories: true)
        let result = try Shell.run("/usr/bin/unzip", ["-q", "-o", archive, "-d", reference])
        #expect(result.status <= 1, "unzip: \(result.output)")
        return (try TreeSnapshot(ours), try TreeSnapshot(reference))
    }

    @Test("extraction matches unzip for archives written by", arguments: Writer.allCases)
    func extractionMatchesUnzip(_ writer: Writer) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let source = dir.sub("src")
        try Self.makeSourceTree(at: source)
        let archive = dir.sub("a.zip")
        try Self.makeArchive(writer, source: source, archive: archive)
        let parsed = try ZipArchive(path: archive)
        // (Info-ZIP's `zip -` refuses to stream incompressible files, so Python provides the streamed case.)
        if writer == .pythonStreamed {
            #expect(parsed.entries.contains { $0.hasDataDescriptor })
        }
        let trees = try Self.bothExtractions(of: archive, in: dir)
        #expect(trees.ours.nodes.count >= 12, "\(trees.ours)")
        #expect(trees.ours == trees.unzip, "ours:\n\(trees.ours)\nunzip:\n\(trees.unzip)")
        #expect(trees.ours.nodes["data/random.bin"] == (try TreeSnapshot(source)).nodes["data/random.bin"])
    }

    static let corpusArchives = [
        "test.zip", "test-trailing-junk.zip", "test-prefix.zip", "dd.zip", "winxp.zip", "unix.zip",
        "go-no-datadesc-sig.zip", "go-with-datadesc-sig.zip", "crc32-not-streamed.zip", "zip64.zip", "zip64-2.zip",
        "utf8-7zip.zip", "utf8-infozip.zip", "utf8-osx.zip", "utf8-winrar.zip", "utf8-winzip.zip", "time-7zip.zip",
        "time-infozip.zip", "time-osx.zip", "time-win7.zip", "time-winrar.zip", "time-winzip.zip", "time-go.zip",
        "time-22738.zip", "subdir.zip", "readme.zip", "derived/derived-r.zip",
        "derived/derived-compressed-directory.zip",
    ]

    @Test("corpus extraction matches unzip", arguments: corpusArchives)
    func corpusExtractionMatchesUnzip(_ file: String) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let trees = try Self.bothExtractions(of: Corpus.path(file), in: dir)
        #expect(!trees.ours.nodes.isEmpty)
        #expect(trees.ours == trees.unzip, "ours:\n\(trees.ours)\nunzip:\n\(trees.unzip)")
    }

    @Test func moreThan65535EntriesFromPythonZipfile() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let archive = dir.sub("many.zip")
        let script = """
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1], "w") as z:
                for i in range(70000):
                    z.writestr("d%d/f%d" % (i % 7, i), str(i))
            """
        try #require(try Shell.run(Shell.python, ["-c", script, archive]).status == 0)
        let parsed = try ZipArchive(path: archive)
        #expect(parsed.entries.count == 70_000)
        #expect(try parsed.text("d6/f69999") == "69999")
        #expect(try parsed.test() > 0)
    }
}
