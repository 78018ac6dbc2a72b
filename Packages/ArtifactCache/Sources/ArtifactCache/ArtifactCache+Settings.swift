extension ArtifactCache {
    /// How much is verified when a cache directory is opened.
    public enum Verification: Sendable, Hashable {
        /// Blob present and of the recorded stored size (fast; the write protocol makes torn entries impossible).
        case size
        /// Also decode every blob and compare its length and SHA-256 with the record (reads the whole cache).
        case full
    }

    /// A moment in the commit of an entry, reported to `Settings.commitObserver` (for fault-injection tests).
    public enum CommitPhase: String, Sendable, Hashable {
        /// The temporary blob is complete and fsynced, not yet renamed.
        case blobWritten
        /// The blob has its final name; the index record does not point at it yet.
        case blobRenamed
        /// The index record points at the new blob; the replaced blob is not yet removed.
        case indexRenamed
    }

    /// Tunables of a cache.
    public struct Settings: Sendable {
        /// Byte budget for stored (possibly compressed) blobs; least recently used entries are evicted beyond it.
        public var maxBytes: Int64
        /// gzip level used when an entry is compressed, 1 (fastest) ... 9 (smallest).
        public var compressionLevel: Int32
        /// An entry is stored gzip when its first `probeSize` bytes compress to at most this fraction of their size.
        public var compressionThreshold: Double
        /// How many leading bytes decide whether to compress.
        public var probeSize: Int
        /// Size of reads from disk and of chunks yielded by byte streams.
        public var readChunkSize: Int
        /// What `ArtifactCache(directory:)` checks for each entry it finds.
        public var verification: Verification
        /// Called at each commit phase; meant for crash tests (a writer that kills itself at a phase).
        public var commitObserver: (@Sendable (CommitPhase) -> Void)?

        /// Creates settings; the defaults suit a server: 10 GiB, gzip level 1, compress when it saves 10%.
        public init(
            maxBytes: Int64 = 10 << 30,
            compressionLevel: Int32 = 1,
            compressionThreshold: Double = 0.9,
            probeSize: Int = 64 * 1024,
            readChunkSize: Int = 256 * 1024,
            verification: Verification = .full,
            commitObserver: (@Sendable (CommitPhase) -> Void)? = nil
        ) {
            self.maxBytes = maxBytes
            self.compressionLevel = compressionLevel
            self.compressionThreshold = compressionThreshold
            self.probeSize = probeSize
            self.readChunkSize = readChunkSize
            self.verification = verification
            self.commitObserver = commitObserver
        }

        func validate() throws {
            guard maxBytes >= 0 else { throw ArtifactCacheError(.invalidSettings, "maxBytes \(maxBytes) is negative") }
            guard (1...9).contains(compressionLevel) else {
                throw ArtifactCacheError(.invalidSettings, "compressionLevel \(compressionLevel) is outside 1...9")
            }
            guard compressionThreshold >= 0 else {
                throw ArtifactCacheError(.invalidSettings, "compressionThreshold \(compressionThreshold) is negative")
            }
            guard probeSize > 0, readChunkSize > 0 else {
                throw ArtifactCacheError(.invalidSettings, "probeSize and readChunkSize must be positive")
            }
        }
    }

    /// Counters a server can export as metrics.
    public struct Statistics: Sendable, Hashable {
        /// Requests answered from the cache without fetching.
        public var hits: Int = 0
        /// Requests that needed a fetch (joining a fetch already running counts here too).
        public var misses: Int = 0
        /// Upstream fetches actually started.
        public var fetches: Int = 0
        /// Entries removed to stay within the byte budget.
        public var evictions: Int = 0
        /// Stored bytes of all entries now in the index.
        public var storedBytes: Int64 = 0
        /// Entries now in the index.
        public var entries: Int = 0
    }
}
