import Crypto
import Foundation
import Synchronization

/// An on-disk store of artifacts keyed by URL, stored gzip when that pays, bounded by a byte budget (LRU), with one
/// upstream fetch for any number of concurrent requests of the same URL.
///
/// Layout of `directory`: per entry a record `<key>.json` and a blob `<key>-<generation>.blob`, where `<key>` is
/// derived from the URL's SHA-256; `.lock` (an `flock` held while the cache is open); temporary files
/// `tmp-*.partial` while writing. An entry is committed by: writing the blob to a temporary file, fsync, rename
/// to its final unique name, fsync the directory, then writing the record the same way (temp, fsync, rename).
/// The record is the commit point: a crash at any moment leaves either the old entry or the new one, plus stray
/// files that `init` removes.
///
/// Blocking file I/O (write, fsync, pread) runs on the calling task's thread.
public final class ArtifactCache: Sendable {
    /// The cache directory.
    public let directory: String
    /// The settings the cache was opened with.
    public let settings: Settings

    struct Record: Sendable {
        var metadata: ArtifactMetadata
        var lastUse: UInt64
        /// The `lastAccess` written in the record on disk.
        var persistedAccess: Date
    }

    struct State: Sendable {
        var index: [String: Record] = [:]
        var tick: UInt64 = 0
        var statistics = Statistics()
    }

    private let now: @Sendable () -> Date
    private let lockDescriptor: Int32
    private let state: Mutex<State>
    private let flights = SingleFlight<CachedArtifact>()

    /// Opens (creating if needed) the cache in `directory` and checks it.
    ///
    /// Removes temporary files left by a crash, records whose blob is missing, of the wrong size or (with
    /// `.full` verification) of the wrong content, and blobs no record points at; then evicts down to the budget.
    /// Throws `.locked` if another open cache holds the directory. `now` is the clock for fetch/access times.
    public init(directory: String, settings: Settings = Settings(), now: @escaping @Sendable () -> Date = { Date() })
        throws
    {
        try settings.validate()
        try FileIO.makeDirectory(directory)
        self.directory = directory
        self.settings = settings
        self.now = now
        lockDescriptor = try FileIO.lock(directory + "/.lock", directory: directory)
        let found: [ArtifactMetadata]
        do {
            found = try Self.recover(directory: directory, verification: settings.verification)
        } catch {
            close(lockDescriptor)
            throw error
        }
        var initial = State()
        for metadata in found.sorted(by: { $0.lastAccess < $1.lastAccess }) {
            initial.tick += 1
            initial.index[metadata.url] = Record(
                metadata: metadata, lastUse: initial.tick, persistedAccess: metadata.lastAccess)
            initial.statistics.storedBytes += metadata.storedSize
        }
        initial.statistics.entries = initial.index.count
        state = Mutex(initial)
        let evicted = state.withLock { evictLocked(&$0, protecting: []) }
        for metadata in evicted { FileIO.remove(blobPath(metadata)) }
    }

    deinit {
        close(lockDescriptor)
    }

    // MARK: Reading

    /// The entry for `url`, opened, or nil when it is not cached. Marks it used for LRU.
    public func artifact(for url: String) throws -> CachedArtifact? {
        try openEntry(url, countHit: false)
    }

    /// The metadata of `url`'s entry without opening it or touching its LRU position.
    public func metadata(for url: String) -> ArtifactMetadata? {
        state.withLock { $0.index[url]?.metadata }
    }

    /// Metadata of every entry, least recently used first.
    public var allMetadata: [ArtifactMetadata] {
        state.withLock { $0.index.values.sorted { $0.lastUse < $1.lastUse }.map(\.metadata) }
    }

    /// Hit, miss, fetch and eviction counters, and the bytes stored now.
    public var statistics: Statistics {
        state.withLock { $0.statistics }
    }

    // MARK: Fetching and storing

    /// The entry for `url`: from the cache, or fetched with `fetch` and stored first.
    ///
    /// With `refresh: false` a cached entry is returned without calling `fetch`. With `refresh: true` (or on a
    /// miss) the entry is fetched and replaces any cached one; until it is committed, other non-refreshing
    /// callers keep getting the old entry. Any number of concurrent calls for the same URL share one call of
    /// `fetch` and get the same entry (a refreshing call joins a fetch already running: it is fresh). If the
    /// fetch or its body throws, every waiter gets that error, unchanged, and nothing is cached. A cancelled
    /// caller stops waiting with `CancellationError`; the fetch goes on for the others and is still cached
    /// when nobody waits any more. The body is streamed to disk, never held in memory.
    public func entry<Body: AsyncSequence & SendableMetatype>(
        for url: String, refresh: Bool = false,
        fetch: @escaping @Sendable () async throws -> UpstreamResponse<Body>
    ) async throws -> CachedArtifact {
        if !refresh, let hit = try openEntry(url, countHit: true) { return hit }
        state.withLock { $0.statistics.misses += 1 }
        return try await flights.run(key: url) { [self] in
            // A fetch for this URL may have committed between the lookup above and this flight starting.
            if !refresh, let hit = try openEntry(url, countHit: false) { return hit }
            state.withLock { $0.statistics.fetches += 1 }
            let upstream = try await fetch()
            return try await put(url, from: upstream)
        }
    }

    /// Fetches `url` into the cache, replacing any entry (the original API's `POST /cache`).
    ///
    /// The same as `entry(for: url, refresh: true, fetch:)`.
    public func replace<Body: AsyncSequence & SendableMetatype>(
        _ url: String, fetch: @escaping @Sendable () async throws -> UpstreamResponse<Body>
    ) async throws -> CachedArtifact {
        try await entry(for: url, refresh: true, fetch: fetch)
    }

    /// Stores `upstream`'s body as the entry for `url`, replacing any, and returns it opened.
    ///
    /// Streams the body to a temporary file (gzip when its first `probeSize` bytes compress well), hashing it;
    /// fails with `.sizeMismatch` if `expectedSize` is set and differs. On any error nothing is cached and the
    /// temporary file is removed. Not single-flight: use `entry(for:refresh:fetch:)` for that.
    ///
    /// The body is gathered into batches of up to ``writeBatchSize`` bytes; hashing, compressing, writing and the
    /// final fsyncs run on Dispatch worker threads, so the calling task's thread never waits on the disk.
    public func put<Body: AsyncSequence>(_ url: String, from upstream: UpstreamResponse<Body>) async throws
        -> CachedArtifact
    {
        let writer = try BlobWriter(directory: directory, settings: settings)
        var batch: [UInt8] = []
        batch.reserveCapacity(Self.writeBatchSize)
        for try await chunk in upstream.body {
            let copied: Void? = chunk.withContiguousStorageIfAvailable { batch.append(contentsOf: $0) }
            if copied == nil { batch.append(contentsOf: chunk) }
            if batch.count >= Self.writeBatchSize {
                let full = batch
                batch.removeAll(keepingCapacity: true)
                try await FileIO.offThePool { try full.withUnsafeBytes { try writer.write($0) } }
            }
        }
        let last = batch
        let result = try await FileIO.offThePool {
            try last.withUnsafeBytes { try writer.write($0) }
            return try writer.finish()
        }
        do {
            if let expected = upstream.expectedSize, expected != result.size {
                throw ArtifactCacheError(
                    .sizeMismatch, "\(url): upstream announced \(expected) bytes but sent \(result.size)")
            }
            let etag = upstream.etag
            let lastModified = upstream.lastModified
            return try await FileIO.offThePool { [self] in
                try commit(url, result, etag: etag, lastModified: lastModified)
            }
        } catch {
            FileIO.remove(result.temporaryPath)
            throw error
        }
    }

    /// How many bytes of a body `put` gathers before handing them to a worker thread.
    static let writeBatchSize = 1 << 20

    /// Removes `url`'s entry; returns whether there was one. Readers holding it keep reading.
    @discardableResult
    public func remove(_ url: String) -> Bool {
        let removed: ArtifactMetadata? = state.withLock { state in
            guard let record = state.index.removeValue(forKey: url) else { return nil }
            FileIO.remove(recordPath(url))
            state.statistics.storedBytes -= record.metadata.storedSize
            state.statistics.entries = state.index.count
            return record.metadata
        }
        guard let removed else { return false }
        FileIO.remove(blobPath(removed))
        return true
    }

    /// Waits for every fetch running now, including those whose callers were cancelled.
    public func waitForFetches() async {
        await flights.waitForAll()
    }

    // MARK: Internals

    static func key(_ url: String) -> String {
        SHA256.hash(data: Array(url.utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    func recordPath(_ url: String) -> String { directory + "/" + Self.key(url) + ".json" }

    func blobPath(_ metadata: ArtifactMetadata) -> String { directory + "/" + metadata.blobName }

    private func openEntry(_ url: String, countHit: Bool) throws -> CachedArtifact? {
        let (artifact, persist) = try state.withLock { state -> (CachedArtifact?, Bool) in
            guard var record = state.index[url] else { return (nil, false) }
            let path = blobPath(record.metadata)
            guard let fd = try FileIO.openForReading(path) else {
                // The blob vanished behind our back (someone cleaned the directory): forget the entry.
                state.index[url] = nil
                state.statistics.storedBytes -= record.metadata.storedSize
                state.statistics.entries = state.index.count
                return (nil, false)
            }
            state.tick += 1
            record.lastUse = state.tick
            record.metadata.lastAccess = now()
            let persist =
                record.metadata.lastAccess.timeIntervalSince(record.persistedAccess) >= Self.accessPersistInterval
            if persist { record.persistedAccess = record.metadata.lastAccess }
            state.index[url] = record
            if countHit { state.statistics.hits += 1 }
            let artifact = CachedArtifact(
                metadata: record.metadata, path: path, fileDescriptor: fd, readChunkSize: settings.readChunkSize)
            return (artifact, persist)
        }
        if persist, let artifact { persistAccess(artifact.metadata) }
        return artifact
    }

    /// How stale the access time on disk may get before a read rewrites the record (so LRU order survives a
    /// restart to within this much).
    static let accessPersistInterval: TimeInterval = 60

    /// Best effort: rewrites the record with a newer `lastAccess` unless the entry changed meanwhile. Not fsynced:
    /// losing it in a crash only makes the LRU order slightly older.
    private func persistAccess(_ metadata: ArtifactMetadata) {
        let temporary = directory + "/tmp-" + FileIO.randomHex() + ".json.partial"
        defer { FileIO.remove(temporary) }
        guard (try? writeRecord(metadata, to: temporary, sync: false)) != nil else { return }
        state.withLock { state in
            guard state.index[metadata.url]?.metadata.blobName == metadata.blobName else { return }
            try? FileIO.rename(temporary, recordPath(metadata.url))
        }
    }

    private func commit(_ url: String, _ result: BlobWriter.Result, etag: String?, lastModified: String?) throws
        -> CachedArtifact
    {
        settings.commitObserver?(.blobWritten)
        let blobName = Self.key(url) + "-" + FileIO.randomHex() + ".blob"
        let path = directory + "/" + blobName
        try FileIO.rename(result.temporaryPath, path)
        var committed = false
        defer { if !committed { FileIO.remove(path) } }
        try FileIO.syncDirectory(directory)
        settings.commitObserver?(.blobRenamed)

        let date = now()
        let metadata = ArtifactMetadata(
            url: url, size: result.size, sha256: result.sha256, etag: etag, lastModified: lastModified,
            storedEncoding: result.encoding, storedSize: result.storedSize, fetchedAt: date, lastAccess: date,
            blobName: blobName)
        let temporaryRecord = directory + "/tmp-" + FileIO.randomHex() + ".json.partial"
        defer { FileIO.remove(temporaryRecord) }
        try writeRecord(metadata, to: temporaryRecord)

        var obsolete: [ArtifactMetadata] = []
        let artifact = try state.withLock { state -> CachedArtifact in
            // Renamed under the lock so the order of records on disk is the order of the index in memory.
            try FileIO.rename(temporaryRecord, recordPath(url))
            committed = true
            if let old = state.index[url] {
                obsolete.append(old.metadata)
                state.statistics.storedBytes -= old.metadata.storedSize
            }
            state.tick += 1
            state.index[url] = Record(metadata: metadata, lastUse: state.tick, persistedAccess: date)
            state.statistics.storedBytes += metadata.storedSize
            // Opened before anything can evict it; the blob was just renamed, so it exists.
            guard let fd = try FileIO.openForReading(path) else {
                throw ArtifactCacheError(.io, "\(path) vanished right after it was written")
            }
            obsolete += evictLocked(&state, protecting: [url])
            state.statistics.entries = state.index.count
            return CachedArtifact(
                metadata: metadata, path: path, fileDescriptor: fd, readChunkSize: settings.readChunkSize)
        }
        try FileIO.syncDirectory(directory)
        settings.commitObserver?(.indexRenamed)
        for old in obsolete where old.blobName != blobName { FileIO.remove(blobPath(old)) }
        return artifact
    }

    /// Drops least recently used entries beyond the budget from the index and removes their records; returns them
    /// so their blobs can be unlinked outside the lock.
    private func evictLocked(_ state: inout State, protecting: Set<String>) -> [ArtifactMetadata] {
        let candidates = state.index.map {
            EvictionPlanner.Candidate(key: $0.key, storedSize: $0.value.metadata.storedSize, lastUse: $0.value.lastUse)
        }
        var evicted: [ArtifactMetadata] = []
        for url in EvictionPlanner.victims(candidates, budget: settings.maxBytes, protected: protecting) {
            guard let record = state.index.removeValue(forKey: url) else { continue }
            FileIO.remove(recordPath(url))
            state.statistics.storedBytes -= record.metadata.storedSize
            state.statistics.evictions += 1
            evicted.append(record.metadata)
        }
        state.statistics.entries = state.index.count
        return evicted
    }

    private func writeRecord(_ metadata: ArtifactMetadata, to path: String, sync: Bool = true) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let data: Data
        do {
            data = try encoder.encode(metadata)
        } catch {
            throw ArtifactCacheError(.io, "cannot encode the record for \(metadata.url): \(error)")
        }
        let fd = try FileIO.openForWriting(path)
        defer { close(fd) }
        try data.withUnsafeBytes { try FileIO.writeAll(fd, $0, path: path) }
        if sync { try FileIO.sync(fd, path: path) }
    }
}
