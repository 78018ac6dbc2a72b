import Foundation
import Testing

@testable import ArtifactCache

/// A real writer process killed with SIGKILL must never leave an entry that reads back wrong.
@Suite(.serialized, .timeLimit(.minutes(3))) struct CrashTests {
    let url = "https://example.com/release.tar"

    /// Runs a writer to completion; returns the SHA-256 it stored.
    func writeCompletely(_ directory: String, seed: Int, size: Int = 2_000_000, kind: String = "text") throws -> String
    {
        let writer = try WriterProcess([directory, url, "\(size)", "\(seed)", kind])
        let expect = try #require(writer.readLine(startingWith: "expect"))
        #expect(writer.readLine(startingWith: "committed") != nil)
        let result = writer.wait()
        #expect(!result.signaled && result.status == 0)
        return String(expect.split(separator: " ")[1])
    }

    /// Reopens with full verification and checks every entry reads back to its recorded hash.
    func reopenAndCheck(_ directory: String) async throws -> ArtifactCache {
        let cache = try ArtifactCache(directory: directory, settings: .init(verification: .full))
        for metadata in cache.allMetadata {
            let artifact = try #require(try cache.artifact(for: metadata.url))
            let bytes = try await collect(artifact.bytes())
            #expect(Int64(bytes.count) == metadata.size)
            #expect(sha256Hex(bytes) == metadata.sha256)
        }
        #expect(!files(in: directory).contains { $0.hasSuffix(".partial") })
        return cache
    }

    @Test func theWriterBinaryIsBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: WriterProcess.executable.path))
    }

    @Test(arguments: [
        (ArtifactCache.CommitPhase.blobWritten, false), (.blobRenamed, false), (.indexRenamed, true),
    ])
    func aReplacementKilledAtACommitPhaseLeavesTheOldOrTheNewEntry(phase: ArtifactCache.CommitPhase, isNew: Bool)
        async throws
    {
        try await withTemporaryDirectory { directory in
            let old = try writeCompletely(directory, seed: 1)
            let writer = try WriterProcess([directory, url, "3000000", "2", "text", phase.rawValue])
            let expect = try #require(writer.readLine(startingWith: "expect"))
            let new = String(expect.split(separator: " ")[1])
            #expect(writer.readLine(startingWith: "killing at \(phase.rawValue)") != nil)
            let result = writer.wait()
            #expect(result.signaled && result.status == SIGKILL)

            let cache = try await reopenAndCheck(directory)
            #expect(cache.metadata(for: url)?.sha256 == (isNew ? new : old))
            #expect(files(in: directory).count == 2)  // one record, one blob: temp and orphan removed
        }
    }

    @Test(arguments: [("text", 1), ("random", 3), ("text", 6)])
    func aWriterKilledMidStreamLeavesTheOldEntryIntact(kind: String, progressLines: Int) async throws {
        try await withTemporaryDirectory { directory in
            let old = try writeCompletely(directory, seed: 3, size: 500_000, kind: kind)
            let writer = try WriterProcess([directory, url, "\(8 << 20)", "4", kind, "-", "20"])
            for _ in 0..<progressLines { _ = writer.readLine(startingWith: "progress") }
            writer.kill9()
            let result = writer.wait()
            #expect(result.signaled && result.status == SIGKILL)

            let cache = try await reopenAndCheck(directory)
            #expect(cache.metadata(for: url)?.sha256 == old)
            #expect(files(in: directory).count == 2)
        }
    }

    @Test func aFirstWriteKilledMidStreamLeavesNoEntry() async throws {
        try await withTemporaryDirectory { directory in
            let writer = try WriterProcess([directory, url, "\(8 << 20)", "5", "random", "-", "20"])
            _ = writer.readLine(startingWith: "progress")
            writer.kill9()
            _ = writer.wait()
            #expect(files(in: directory).contains { $0.hasSuffix(".partial") })
            let cache = try await reopenAndCheck(directory)
            #expect(cache.allMetadata.isEmpty)
            #expect(files(in: directory).isEmpty)
        }
    }
}
