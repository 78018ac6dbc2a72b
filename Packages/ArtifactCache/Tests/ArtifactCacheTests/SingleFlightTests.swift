import Foundation
import Synchronization
import Testing

@testable import ArtifactCache

/// A latch the tests open to let a gated fetch proceed, and a counter of fetches.
final class FetchProbe: Sendable {
    private let state = Mutex((open: false, calls: 0))

    var calls: Int { state.withLock { $0.calls } }

    func open() { state.withLock { $0.open = true } }

    /// Counts the call, then waits until the latch is open.
    func enter() async throws {
        state.withLock { $0.calls += 1 }
        try await eventually("the gate to open") { state.withLock { $0.open } }
    }
}

@Suite(.timeLimit(.minutes(3))) struct SingleFlightTests {
    let url = "https://example.com/app.tar"

    @Test func concurrentRequestsShareOneFetchAndGetTheSameBytes() async throws {
        let bytes = Fixture.text(400_000, seed: 11)
        try await withTemporaryDirectory { directory in
            let cache = try ArtifactCache(directory: directory)
            let probe = FetchProbe()
            let results = try await withThrowingTaskGroup(of: [UInt8].self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        let artifact = try await cache.entry(for: url) {
                            try await probe.enter()
                            return UpstreamResponse(etag: "\"v1\"", body: chunkedBody(bytes, chunkSize: 32768))
                        }
                        return try await collect(artifact.bytes())
                    }
                }
                try await eventually("20 fetches") { cache.statistics.misses == 20 }
                probe.open()
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(probe.calls == 1)
            #expect(results.count == 20)
            #expect(results.allSatisfy { $0 == bytes })
            #expect(cache.statistics.fetches == 1)
        }
    }

    @Test func aCachedEntryIsServedWithoutFetching() async throws {
        try await withTemporaryDirectory { directory in
            let cache = try ArtifactCache(directory: directory)
            let probe = FetchProbe()
            probe.open()
            for _ in 0..<3 {
                let artifact = try await cache.entry(for: url) {
                    try await probe.enter()
                    return UpstreamResponse(body: chunkedBody([1, 2, 3], chunkSize: 2))
                }
                #expect(try await collect(artifact.bytes()) == [1, 2, 3])
            }
            #expect(probe.calls == 1)
            #expect(cache.statistics.hits == 2)
            #expect(cache.statistics.misses == 1)
        }
    }

    @Test func aFailedFetchReachesEveryWaiterAndCachesNothing() async throws {
        try await withTemporaryDirectory { directory in
            let cache = try ArtifactCache(directory: directory)
            let probe = FetchProbe()
            let errors = try await withThrowingTaskGroup(of: (any Error)?.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        do {
                            _ = try await cache.entry(for: url) {
                                () async throws -> UpstreamResponse<AsyncStream<[UInt8]>> in
                                try await probe.enter()
                                throw UpstreamFailure(reason: "502 from origin")
                            }
                            return nil
                        } catch {
                            return error
                        }
                    }
                }
                try await eventually("8 fetches") { cache.statistics.misses == 8 }
                probe.open()
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(probe.calls == 1)
            #expect(errors.allSatisfy { ($0 as? UpstreamFailure) == UpstreamFailure(reason: "502 from origin") })
            #expect(cache.metadata(for: url) == nil)
            #expect(files(in: directory).isEmpty)
            // The next request tries again.
            _ = try await cache.entry(for: url) { UpstreamResponse(body: chunkedBody([7], chunkSize: 1)) }
            #expect(cache.metadata(for: url)?.size == 1)
        }
    }

    @Test func aBodyFailingMidwayReachesEveryWaiterAndLeavesNoFiles() async throws {
        try await withTemporaryDirectory { directory in
            let cache = try ArtifactCache(directory: directory)
            let probe = FetchProbe()
            let failures = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<5 {
                    group.addTask {
                        do {
                            _ = try await cache.entry(for: url) {
                                try await probe.enter()
                                return UpstreamResponse(
                                    body: failingBody(
                                        Fixture.random(200_000, seed: 3), error: UpstreamFailure(reason: "reset")))
                            }
                            return false
                        } catch let error as UpstreamFailure {
                            return error.reason == "reset"
                        }
                    }
                }
                try await eventually("5 fetches") { cache.statistics.misses == 5 }
                probe.open()
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(failures == [true, true, true, true, true])
            #expect(cache.metadata(for: url) == nil)
            #expect(files(in: directory).isEmpty)
        }
    }

    @Test func aCancelledWaiterLeavesAtOnceAndTheFetchGoesOnForTheOthers() async throws {
        let bytes = Fixture.random(100_000, seed: 12)
        try await withTemporaryDirectory { directory in
            let cache = try ArtifactCache(directory: directory)
            let probe = FetchProbe()
            let fetch: @Sendable () async throws -> UpstreamResponse<AsyncStream<[UInt8]>> = {
                try await probe.enter()
                return UpstreamResponse(body: chunkedBody(bytes, chunkSize: 4096))
            }
            let staying = Task { try await collect(cache.entry(for: url, fetch: fetch).bytes()) }
            let leaving = Task { try await collect(cache.entry(for: url, fetch: fetch).bytes()) }
            try await eventually("2 misses and 1 fetch") { cache.statistics.misses == 2 && probe.calls == 1 }
            leaving.cancel()
            // The cancelled waiter returns while the fetch is still held at the latch.
            await #expect(throws: CancellationError.self) { try await leaving.value }
            probe.open()
            #expect(try await staying.value == bytes)
            #expect(probe.calls == 1)
        }
    }

    @Test func aFetchWhoseWaitersAllLeftIsStillCached() async throws {
        try await withTemporaryDirectory { directory in
            let cache = try ArtifactCache(directory: directory)
            let probe = FetchProbe()
            let waiter = Task {
                try await cache.entry(for: url) {
                    try await probe.enter()
                    return UpstreamResponse(body: chunkedBody([4, 5, 6], chunkSize: 1))
                }
            }
            try await eventually("1 fetch") { probe.calls == 1 }
            waiter.cancel()
            _ = await waiter.result
            probe.open()
            await cache.waitForFetches()
            #expect(cache.metadata(for: url)?.size == 3)
        }
    }

    @Test func refreshFetchesAgainAndReplacesWhileOldReadersKeepTheirBytes() async throws {
        try await withTemporaryDirectory { directory in
            let cache = try ArtifactCache(directory: directory)
            let old = try await cache.entry(for: url) {
                UpstreamResponse(etag: "a", body: chunkedBody([1, 1], chunkSize: 1))
            }
            let new = try await cache.replace(url) {
                UpstreamResponse(etag: "b", body: chunkedBody([2, 2, 2], chunkSize: 1))
            }
            #expect(new.metadata.etag == "b")
            #expect(cache.metadata(for: url)?.etag == "b")
            #expect(try await collect(old.bytes()) == [1, 1])
            #expect(try await collect(new.bytes()) == [2, 2, 2])
            #expect(!FileManager.default.fileExists(atPath: old.path))
            #expect(files(in: directory).count == 2)  // one record, one blob
        }
    }
}
