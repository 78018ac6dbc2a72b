import Foundation
import Testing

@testable import ZipReader

/// A stop request (the agent's step timeout or shutdown) ends an extraction at once and leaves the
/// destination exactly as it was, whatever the phase it arrives in.
@Suite("Stopping an extraction", .timeLimit(.minutes(5)))
struct CancellationTests {
    /// Files new and replaced, a symbolic link replacing a file, a directory whose mode changes.
    static let archive = ZipBuilder(
        (0..<12).map { ZipBuilder.Entry("a/f\($0).txt", "new \($0)") } + [
            .init("existing/kept.txt", "replaced?"), .symlink("existing/link", to: "kept.txt"),
            .directory("existing/", mode: 0o40700), .directory("b/c/"), .init("b/c/deep.txt", "deep"),
        ]
    ).build()

    static func destination(in dir: TempDirectory) throws -> String {
        let dest = dir.sub("dest")
        try FileManager.default.createDirectory(atPath: dest + "/existing", withIntermediateDirectories: true)
        _ = try dir.write(Array("old".utf8), to: "dest/existing/kept.txt")
        _ = try dir.write(Array("old link".utf8), to: "dest/existing/link")
        return dest
    }

    @Test func aStopAtAnyPointPutsTheDestinationBack() throws {
        var stopsTried = 0
        for stopAt in 1... {
            let dir = try TempDirectory()
            defer { dir.remove() }
            let dest = try Self.destination(in: dir)
            let before = try TreeSnapshot(dest)
            var asked = 0
            do {
                _ = try ZipArchive(bytes: Self.archive).extractAll(to: dest, options: .init(overwrite: true)) {
                    asked += 1
                    return asked >= stopAt
                }
            } catch let error as ZipError {
                #expect(error.kind == .cancelled, "stop at \(stopAt): \(error)")
                let after = try TreeSnapshot(dest)
                #expect(after == before, "stop at \(stopAt) left:\n\(after)")
                stopsTried += 1
                continue
            }
            // Past the last question: the extraction went through and replaced what it should.
            #expect(asked < stopAt)
            #expect(try String(contentsOfFile: dest + "/existing/kept.txt", encoding: .utf8) == "replaced?")
            #expect(try TreeSnapshot(dest).nodes["existing"] == .directory(mode: 0o700))
            break
        }
        // Between entries of phases 1 and 2, between renames, links and directory modes, and once at the end.
        #expect(stopsTried > 3 * 17, "asked only \(stopsTried) times")
    }

    @Test func aStopWithinALargeEntryEndsItWithoutWritingTheRest() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let dest = dir.sub("dest")
        let size = 16 << 20
        let bytes = ZipBuilder([.init("large.bin", [UInt8](repeating: 7, count: size), method: 0)]).build()
        var asked = 0
        var writtenWhenStopped: Int?
        let error = zipError {
            _ = try ZipArchive(bytes: bytes).extractAll(to: dest) {
                asked += 1
                guard asked == 8 else { return false }
                // Phase 1 asks twice and phase 2 once before the entry, so this is a few chunks into it.
                let names = (try? FileManager.default.contentsOfDirectory(atPath: dest)) ?? []
                let temp = names.first { $0.hasPrefix(".zipreader-") }
                writtenWhenStopped = temp.flatMap {
                    (try? FileManager.default.attributesOfItem(atPath: dest + "/" + $0))?[.size] as? Int
                }
                return true
            }
        }
        #expect(error?.kind == .cancelled)
        #expect(asked == 8, "asked again after it was told to stop")
        let written = try #require(writtenWhenStopped, "no temporary file was being written")
        #expect(written > 0 && written < size)
        #expect(!FileManager.default.fileExists(atPath: dest), "the destination it created is removed")
    }
}
