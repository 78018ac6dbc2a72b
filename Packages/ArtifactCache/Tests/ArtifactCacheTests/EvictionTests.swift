import Foundation
import Testing

@testable import ArtifactCache

@Suite(.timeLimit(.minutes(3))) struct EvictionTests {
    func put(_ cache: ArtifactCache, _ url: String, _ bytes: [UInt8]) async throws -> CachedArtifact {
        try await cache.put(url, from: UpstreamResponse(body: chunkedBody(bytes, chunkSize: 65536)))
    }

    @Test func leastRecentlyUsedEntriesAreEvictedBeyondTheBudget() async throws {
        try await withTemporaryDirectory { directory in
            let cache = try ArtifactCache(directory: directory, settings: .init(maxBytes: 250_000))
            _ = try await put(cache, "a", Fixture.random(100_000, seed: 1))
            _ = try await put(cache, "b", Fixture.random(100_000, seed: 2))
            _ = try cache.artifact(for: "a")  // a is now more recent than b
            _ = try await put(cache, "c", Fixture.random(100_000, seed: 3))
            #expect(cache.metadata(for: "b") == nil)
            #expect(cache.metadata(for: "a") != nil)
            #expect(cache.metadata(for: "c") != nil)
            #expect(cache.statistics.storedBytes == 200_000)
            #expect(cache.statistics.evictions == 1)
            #expect(files(in: directory).count == 4)
        }
    }

    @Test func theBudgetCountsStoredNotOriginalBytes() async throws {
        try await withTemporaryDirectory { directory in
            let cache = try ArtifactCache(directory: directory, settings: .init(maxBytes: 1_000_000))
            for index in 0..<5 {
                let artifact = try await put(cache, "t\(index)", Fixture.text(1_000_000, seed: UInt64(index)))
                #expect(artifact.metadata.storedSize < 1_000_000 / 5)
            }
            #expect(cache.statistics.entries == 5)
            #expect(cache.statistics.evictions == 0)
        }
    }

    @Test(arguments: [false, true])
    func aReaderHoldingAnEntryGetsAllBytesAfterItIsEvicted(compressible: Bool) async throws {
        let bytes = compressible ? Fixture.text(2_000_000, seed: 8) : Fixture.random(2_000_000, seed: 8)
        try await withTemporaryDirectory { directory in
            let cache = try ArtifactCache(
                directory: directory, settings: .init(maxBytes: 2_100_000, readChunkSize: 4096))
            let held = try await put(cache, "held", bytes)
            var iterator = held.bytes().makeAsyncIterator()
            var got = try await iterator.next() ?? []
            // Push it out of the budget while the reader is in the middle.
            _ = try await put(cache, "other", Fixture.random(2_000_000, seed: 9))
            #expect(cache.metadata(for: "held") == nil)
            #expect(!FileManager.default.fileExists(atPath: held.path))
            while let chunk = try await iterator.next() { got += chunk }
            #expect(got == bytes)
            #expect(try await collect(held.storedBytes()).count == Int(held.metadata.storedSize))
        }
    }

    @Test func anEntryLargerThanTheBudgetIsKeptUntilTheNextStore() async throws {
        try await withTemporaryDirectory { directory in
            let cache = try ArtifactCache(directory: directory, settings: .init(maxBytes: 1000))
            let big = try await put(cache, "big", Fixture.random(5000, seed: 1))
            #expect(cache.metadata(for: "big") != nil)
            #expect(try await collect(big.bytes()).count == 5000)
            _ = try await put(cache, "small", Fixture.random(500, seed: 2))
            #expect(cache.metadata(for: "big") == nil)
            #expect(cache.metadata(for: "small") != nil)
        }
    }

    @Test func removeDeletesTheEntryButNotFromUnderItsReader() async throws {
        let bytes = Fixture.text(300_000, seed: 3)
        try await withTemporaryDirectory { directory in
            let cache = try ArtifactCache(directory: directory)
            let held = try await put(cache, "x", bytes)
            #expect(cache.remove("x"))
            #expect(!cache.remove("x"))
            #expect(try cache.artifact(for: "x") == nil)
            #expect(files(in: directory).isEmpty)
            #expect(try await collect(held.bytes()) == bytes)
            #expect(cache.statistics.storedBytes == 0)
        }
    }
}
