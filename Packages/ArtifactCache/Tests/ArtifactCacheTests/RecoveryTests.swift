import Foundation
import Synchronization
import Testing

@testable import ArtifactCache

@Suite(.timeLimit(.minutes(3))) struct RecoveryTests {
    func put(_ cache: ArtifactCache, _ url: String, _ bytes: [UInt8]) async throws -> CachedArtifact {
        try await cache.put(url, from: UpstreamResponse(body: chunkedBody(bytes, chunkSize: 65536)))
    }

    @Test func entriesAndMetadataSurviveReopening() async throws {
        let text = Fixture.text(300_000, seed: 1)
        let random = Fixture.random(300_000, seed: 1)
        try await withTemporaryDirectory { directory in
            var stored: [ArtifactMetadata] = []
            do {
                let cache = try ArtifactCache(directory: directory)
                stored.append(
                    try await cache.put(
                        "https://e.com/t",
                        from: UpstreamResponse(
                            etag: "\"t1\"", lastModified: "Wed, 25 Nov 2026 10:00:00 GMT", expectedSize: 300_000,
                            body: chunkedBody(text, chunkSize: 1000))
                    ).metadata)
                stored.append(try await put(cache, "https://e.com/r", random).metadata)
            }
            let reopened = try ArtifactCache(directory: directory)
            for metadata in stored {
                let again = try #require(reopened.metadata(for: metadata.url))
                #expect(again == metadata)
            }
            #expect(try await collect(#require(reopened.artifact(for: "https://e.com/t")).bytes()) == text)
            #expect(try await collect(#require(reopened.artifact(for: "https://e.com/r")).bytes()) == random)
            #expect(reopened.metadata(for: "https://e.com/t")?.etag == "\"t1\"")
            #expect(reopened.metadata(for: "https://e.com/t")?.lastModified == "Wed, 25 Nov 2026 10:00:00 GMT")
        }
    }

    @Test func metadataRecordsTheInjectedClockAndUpstreamValidators() async throws {
        let fixed = Date(timeIntervalSince1970: 1_800_000_000)
        try await withTemporaryDirectory { directory in
            let cache = try ArtifactCache(directory: directory, now: { fixed })
            let artifact = try await cache.put(
                "u", from: UpstreamResponse(etag: "e", lastModified: "lm", body: chunkedBody([1, 2, 3], chunkSize: 3)))
            #expect(artifact.metadata.fetchedAt == fixed)
            #expect(artifact.metadata.lastAccess == fixed)
            #expect(artifact.metadata.url == "u")
            #expect(artifact.metadata.sha256 == sha256Hex([1, 2, 3]))
            #expect(artifact.metadata.storedEncoding == .identity)
            #expect(artifact.metadata.storedSize == 3)
        }
    }

    @Test func aBodyShorterThanAnnouncedIsRejectedAndNothingIsCached() async throws {
        try await withTemporaryDirectory { directory in
            let cache = try ArtifactCache(directory: directory)
            let error = await #expect(throws: ArtifactCacheError.self) {
                _ = try await cache.put(
                    "https://e.com/short",
                    from: UpstreamResponse(expectedSize: 10, body: chunkedBody([1, 2, 3], chunkSize: 3)))
            }
            #expect(error?.kind == .sizeMismatch)
            #expect(error?.description.contains("https://e.com/short") == true)
            #expect(cache.metadata(for: "https://e.com/short") == nil)
            #expect(files(in: directory).isEmpty)
        }
    }

    @Test func openingRemovesTemporaryFilesAndOrphanBlobsButKeepsOtherFiles() async throws {
        try await withTemporaryDirectory { directory in
            do {
                let cache = try ArtifactCache(directory: directory)
                _ = try await put(cache, "keep", Fixture.random(1000, seed: 1))
            }
            for name in ["tmp-1234.blob.partial", "tmp-99.json.partial", "0123456789abcdef-00.blob", "README.txt"] {
                #expect(FileManager.default.createFile(atPath: directory + "/" + name, contents: Data([1, 2, 3])))
            }
            let cache = try ArtifactCache(directory: directory)
            #expect(cache.metadata(for: "keep") != nil)
            #expect(files(in: directory).count == 3)  // record, blob, README.txt
            #expect(files(in: directory).contains("README.txt"))
        }
    }

    @Test(arguments: [ArtifactCache.Verification.size, .full])
    func aTruncatedBlobIsDropped(verification: ArtifactCache.Verification) async throws {
        try await withTemporaryDirectory { directory in
            let path: String
            do {
                let cache = try ArtifactCache(directory: directory)
                path = try await put(cache, "t", Fixture.text(200_000, seed: 2)).path
            }
            let handle = try #require(FileHandle(forWritingAtPath: path))
            try handle.truncate(atOffset: 100)
            try handle.close()
            let cache = try ArtifactCache(directory: directory, settings: .init(verification: verification))
            #expect(cache.metadata(for: "t") == nil)
            #expect(files(in: directory).isEmpty)
        }
    }

    @Test(arguments: [false, true])
    func aBlobWithFlippedBytesIsDroppedByFullVerification(compressible: Bool) async throws {
        let bytes = compressible ? Fixture.text(200_000, seed: 3) : Fixture.random(200_000, seed: 3)
        try await withTemporaryDirectory { directory in
            let path: String
            do {
                let cache = try ArtifactCache(directory: directory)
                path = try await put(cache, "f", bytes).path
            }
            var stored = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            stored[stored.count / 2] ^= 0xFF
            try Data(stored).write(to: URL(fileURLWithPath: path))
            do {
                // Size-only verification trusts the write protocol and keeps it.
                let cache = try ArtifactCache(directory: directory, settings: .init(verification: .size))
                #expect(cache.metadata(for: "f") != nil)
            }
            let cache = try ArtifactCache(directory: directory, settings: .init(verification: .full))
            #expect(cache.metadata(for: "f") == nil)
            #expect(files(in: directory).isEmpty)
        }
    }

    @Test func unreadableRecordsAndRecordsWithoutBlobsAreDropped() async throws {
        try await withTemporaryDirectory { directory in
            do {
                let cache = try ArtifactCache(directory: directory)
                let gone = try await put(cache, "gone", Fixture.random(1000, seed: 1))
                try FileManager.default.removeItem(atPath: gone.path)
                _ = try await put(cache, "kept", Fixture.random(1000, seed: 2))
            }
            #expect(FileManager.default.createFile(atPath: directory + "/garbage.json", contents: Data("{".utf8)))
            let cache = try ArtifactCache(directory: directory)
            #expect(cache.metadata(for: "gone") == nil)
            #expect(cache.metadata(for: "kept") != nil)
            #expect(files(in: directory).count == 2)
        }
    }

    @Test func aSmallerBudgetAtOpenEvictsTheLeastRecentlyUsed() async throws {
        try await withTemporaryDirectory { directory in
            var clock = 1_000_000.0
            do {
                for url in ["first", "second", "third"] {
                    clock += 10
                    let now = clock
                    let cache = try ArtifactCache(directory: directory, now: { Date(timeIntervalSince1970: now) })
                    _ = try await put(cache, url, Fixture.random(1000, seed: 4))
                }
            }
            let cache = try ArtifactCache(directory: directory, settings: .init(maxBytes: 2000))
            #expect(cache.allMetadata.map(\.url) == ["second", "third"])
            #expect(files(in: directory).count == 4)
        }
    }

    @Test func readsAreRememberedAcrossReopeningForLRU() async throws {
        final class Clock: Sendable {
            let now = Mutex(Date(timeIntervalSince1970: 2_000_000_000))
            func advance(_ seconds: TimeInterval) { now.withLock { $0 += seconds } }
        }
        let clock = Clock()
        try await withTemporaryDirectory { directory in
            do {
                let cache = try ArtifactCache(directory: directory, now: { clock.now.withLock { $0 } })
                _ = try await put(cache, "old-but-read", Fixture.random(1000, seed: 1))
                clock.advance(10)
                _ = try await put(cache, "newer-unread", Fixture.random(1000, seed: 2))
                clock.advance(ArtifactCache.accessPersistInterval + 1)
                _ = try cache.artifact(for: "old-but-read")
            }
            let cache = try ArtifactCache(directory: directory, settings: .init(maxBytes: 1000))
            #expect(cache.allMetadata.map(\.url) == ["old-but-read"])
        }
    }

    @Test func aSecondCacheOnTheSameDirectoryIsRefused() async throws {
        try await withTemporaryDirectory { directory in
            do {
                let first = try ArtifactCache(directory: directory)
                let error = #expect(throws: ArtifactCacheError.self) { try ArtifactCache(directory: directory) }
                #expect(error?.kind == .locked)
                #expect(error?.description.contains(directory) == true)
                withExtendedLifetime(first) {}
            }
            _ = try ArtifactCache(directory: directory)
        }
    }

    @Test func invalidSettingsAreRejected() async throws {
        try await withTemporaryDirectory { directory in
            let error = #expect(throws: ArtifactCacheError.self) {
                try ArtifactCache(directory: directory, settings: .init(compressionLevel: 12))
            }
            #expect(error?.kind == .invalidSettings)
        }
    }
}
