import Foundation

/// One cache entry, opened: its metadata and an open descriptor on its blob.
///
/// The descriptor is opened while the cache's lock is held, so the entry cannot be evicted or replaced between
/// lookup and open. After that, eviction or replacement only unlinks the blob's name; on Linux (and any POSIX
/// system) the open descriptor keeps the data readable until this object is released, so a reader always gets
/// every byte of the version it opened. The descriptor closes when the last reference goes away.
///
/// Safe to share between tasks: reads use `pread` at explicit offsets and never move a file position.
public final class CachedArtifact: Sendable {
    /// The entry's metadata at the time it was opened.
    public let metadata: ArtifactMetadata
    /// The blob's path at the time it was opened. It may be unlinked later by eviction or replacement; prefer
    /// `fileDescriptor` (or the byte streams) over reopening this path.
    public let path: String
    /// Open, read-only descriptor on the blob in its stored encoding. Borrowed: do not close it; `dup` it to hand
    /// ownership elsewhere (for example to a `NIOFileHandle` for a zero-copy file response).
    public let fileDescriptor: Int32
    let readChunkSize: Int

    init(metadata: ArtifactMetadata, path: String, fileDescriptor: Int32, readChunkSize: Int) {
        self.metadata = metadata
        self.path = path
        self.fileDescriptor = fileDescriptor
        self.readChunkSize = readChunkSize
    }

    deinit {
        close(fileDescriptor)
    }

    /// The original bytes, optionally only `range` of them (clamped to `0..<size`).
    ///
    /// For a gzip-stored entry this decompresses on the fly and skips to `range.lowerBound`: a range costs
    /// decompressing everything before it (at gzip speed, hundreds of MB/s), never a temporary file.
    public func bytes(range: Range<Int64>? = nil) -> ArtifactByteStream {
        let wanted = (range ?? 0..<metadata.size).clamped(to: 0..<metadata.size)
        if metadata.storedEncoding == .identity {
            return ArtifactByteStream(artifact: self, mode: .stored, range: wanted)
        }
        return ArtifactByteStream(artifact: self, mode: .inflate, range: wanted)
    }

    /// The blob as stored: for `.gzip` a complete gzip member to send with `Content-Encoding: gzip`, for
    /// `.identity` the original bytes. `range` (clamped to `0..<storedSize`) selects stored bytes.
    public func storedBytes(range: Range<Int64>? = nil) -> ArtifactByteStream {
        let wanted = (range ?? 0..<metadata.storedSize).clamped(to: 0..<metadata.storedSize)
        return ArtifactByteStream(artifact: self, mode: .stored, range: wanted)
    }
}
