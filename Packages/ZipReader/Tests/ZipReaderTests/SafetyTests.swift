import Foundation
import Testing

@testable import ZipReader

/// Hostile archives: each is refused before anything is written, and nothing appears outside the destination.
@Suite("Safe extraction", .timeLimit(.minutes(5)))
struct SafetyTests {
    struct Hostile: Sendable, CustomStringConvertible {
        let label: String
        let entries: @Sendable () -> [ZipBuilder.Entry]
        let kind: ZipError.Kind
        var description: String { label }
    }

    static let hostile: [Hostile] = [
        Hostile(label: "dot-dot", entries: { [.init("ok.txt", "ok"), .init("a/../../evil.txt", "x")] }, kind: .unsafe),
        Hostile(label: "leading dot-dot", entries: { [.init("../evil.txt", "x")] }, kind: .unsafe),
        Hostile(label: "absolute", entries: { [.init("/tmp/evil.txt", "x")] }, kind: .unsafe),
        Hostile(label: "backslash", entries: { [.init("..\\evil.txt", "x")] }, kind: .unsafe),
        Hostile(
            label: "NUL",
            entries: {
                var entry = ZipBuilder.Entry("x", "x")
                entry.name = Array("ok.txt\u{0}../../evil".utf8)
                return [entry]
            }, kind: .unsafe),
        Hostile(label: "empty name", entries: { [.init("", "x")] }, kind: .unsafe),
        Hostile(label: "empty name on a directory", entries: { [.directory("")] }, kind: .unsafe),
        Hostile(label: "absolute symlink", entries: { [.symlink("link", to: "/etc/passwd")] }, kind: .unsafe),
        Hostile(label: "escaping symlink", entries: { [.symlink("a/link", to: "../../outside")] }, kind: .unsafe),
        Hostile(
            label: "symlink chain escape",
            entries: { [.symlink("here", to: "."), .symlink("up", to: "here/..")] }, kind: .unsafe),
        Hostile(
            label: "write through archive symlink",
            entries: { [.symlink("link", to: "sub"), .directory("sub/"), .init("link/file.txt", "x")] },
            kind: .unsafe),
        Hostile(label: "file then dir", entries: { [.init("a", "file"), .init("a/b", "x")] }, kind: .unsafe),
        Hostile(label: "duplicate file", entries: { [.init("a", "one"), .init("./a", "two")] }, kind: .unsafe),
        Hostile(
            label: "overlapping entries",
            entries: {
                var second = ZipBuilder.Entry("b.txt", "aaaa")
                second.sharesHeaderOf = 0
                return [.init("a.txt", "aaaa"), second]
            }, kind: .corrupt),
        Hostile(
            label: "ratio bomb",
            entries: { [.init("zeros", [UInt8](repeating: 0, count: 4 << 20))] }, kind: .limitExceeded),
        Hostile(
            label: "unsupported method before anything",
            entries: {
                var bz = ZipBuilder.Entry("b.bz2", "x", method: 12)
                bz.payload = [1, 2, 3]
                return [.init("first.txt", "written?"), bz]
            }, kind: .unsupported),
        Hostile(
            label: "encrypted",
            entries: {
                var entry = ZipBuilder.Entry("secret.txt", "x", method: 0)
                entry.flags = 1
                return [entry]
            }, kind: .unsupported),
    ]

    @Test("hostile archive is refused and writes nothing", arguments: hostile)
    func hostileArchiveIsRefusedAndWritesNothing(_ hostile: Hostile) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let archivePath = try dir.write(ZipBuilder(hostile.entries()).build(), to: "a.zip")
        let dest = dir.sub("dest/inner")
        let error = zipError { _ = try ZipArchive(path: archivePath).extractAll(to: dest) }
        #expect(error?.kind == hostile.kind, "\(error.map(String.init(describing:)) ?? "none")")
        #expect(error?.entry != nil || hostile.kind == .corrupt)
        #expect(error?.archive == archivePath)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["a.zip"])
    }

    @Test func refusedArchiveLeavesAnExistingDestinationUntouched() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let dest = dir.sub("dest")
        try FileManager.default.createDirectory(atPath: dest + "/keep", withIntermediateDirectories: true)
        _ = try dir.write(Array("old".utf8), to: "dest/keep/file")
        let before = try TreeSnapshot(dest)
        let bytes = ZipBuilder([.init("keep/file", "new"), .init("new/dir/x", "x"), .init("../x", "x")]).build()
        #expect(
            zipError { _ = try ZipArchive(bytes: bytes).extractAll(to: dest, options: .init(overwrite: true)) } != nil)
        #expect(try TreeSnapshot(dest) == before)
    }

    @Test func symlinkInTheDestinationIsNeverWrittenThrough() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let dest = dir.sub("dest")
        let outside = dir.sub("outside")
        try FileManager.default.createDirectory(atPath: dest, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dest + "/conf", withDestinationPath: outside)
        let bytes = ZipBuilder([.init("conf/passwd", "owned")]).build()
        let error = zipError { _ = try ZipArchive(bytes: bytes).extractAll(to: dest, options: .init(overwrite: true)) }
        #expect(error?.kind == .unsafe)
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside) == [])
    }

    @Test func symlinkAtAFilePathIsReplacedNotFollowed() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let dest = dir.sub("dest")
        let victim = try dir.write(Array("victim".utf8), to: "victim")
        try FileManager.default.createDirectory(atPath: dest, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dest + "/app.conf", withDestinationPath: victim)
        _ = try ZipArchive(bytes: ZipBuilder([.init("app.conf", "new")]).build())
            .extractAll(to: dest, options: .init(overwrite: true))
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "victim")
        #expect(try String(contentsOfFile: dest + "/app.conf", encoding: .utf8) == "new")
        #expect(try TreeSnapshot(dest).nodes["app.conf"] == .file(mode: 0o644, bytes: Array("new".utf8)))
    }

    @Test func totalBytesLimitIsEnforcedBeforeWriting() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let bytes = ZipBuilder([
            .init("a", [UInt8](repeating: 1, count: 600)), .init("b", [UInt8](repeating: 2, count: 600)),
        ])
        .build()
        let error = zipError {
            _ = try ZipArchive(bytes: bytes).extractAll(to: dir.sub("d"), options: .init(maxTotalBytes: 1000))
        }
        #expect(error?.kind == .limitExceeded)
        #expect(error?.entry == "b")
        #expect(!FileManager.default.fileExists(atPath: dir.sub("d")))
        let summary = try ZipArchive(bytes: bytes).extractAll(to: dir.sub("e"), options: .init(maxTotalBytes: 1200))
        #expect(summary.bytes == 1200)
    }

    @Test func ratioLimitCanBeRaised() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let bytes = ZipBuilder([.init("zeros", [UInt8](repeating: 0, count: 4 << 20))]).build()
        let summary = try ZipArchive(bytes: bytes).extractAll(to: dir.sub("d"), options: .init(maxRatio: 2000))
        #expect(summary.files == 1)
    }

    @Test func entryCountLimit() throws {
        let bytes = ZipBuilder((0..<10).map { ZipBuilder.Entry("f\($0)", "x") }).build()
        let error = zipError {
            _ = try ZipArchive(bytes: bytes).extractAll(to: "/nonexistent", options: .init(maxEntries: 5))
        }
        #expect(error?.kind == .limitExceeded)
    }

    @Test func failingCRCMidwayRemovesWhatThisExtractionCreated() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let dest = dir.sub("dest")
        try FileManager.default.createDirectory(atPath: dest + "/existing", withIntermediateDirectories: true)
        _ = try dir.write(Array("old".utf8), to: "dest/existing/kept.txt")
        let before = try TreeSnapshot(dest)
        var bad = ZipBuilder.Entry("z/last.txt", "corrupted")
        bad.crc = 42
        let bytes = ZipBuilder([
            .init("a/one.txt", "1"), .init("existing/kept.txt", "replaced?"), .directory("b/c/"), bad,
        ]).build()
        let error = zipError { _ = try ZipArchive(bytes: bytes).extractAll(to: dest, options: .init(overwrite: true)) }
        #expect(error?.kind == .checksumMismatch)
        #expect(error?.entry == "z/last.txt")
        let after = try TreeSnapshot(dest)
        #expect(after == before, "left behind: \(after)")
    }

    @Test func failingExtractionIntoANewDestinationRemovesIt() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        var bad = ZipBuilder.Entry("x.txt", "corrupted")
        bad.crc = 42
        let bytes = ZipBuilder([.init("ok.txt", "fine"), bad]).build()
        #expect(
            zipError { _ = try ZipArchive(bytes: bytes).extractAll(to: dir.sub("new/dest")) }?.kind == .checksumMismatch
        )
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [])
    }
}
