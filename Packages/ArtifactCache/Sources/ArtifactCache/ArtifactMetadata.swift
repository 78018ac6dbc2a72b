import Foundation

/// What the cache knows about one entry; kept as JSON beside the entry's blob.
public struct ArtifactMetadata: Sendable, Hashable, Codable {
    /// The key: the artifact's URL, as given by the caller.
    public var url: String
    /// Length of the original (identity) bytes.
    public var size: Int64
    /// SHA-256 of the original bytes, lowercase hex.
    public var sha256: String
    /// The upstream's `ETag`, if it sent one.
    public var etag: String?
    /// The upstream's `Last-Modified`, verbatim, if it sent one.
    public var lastModified: String?
    /// How the blob on disk is encoded.
    public var storedEncoding: StoredEncoding
    /// Length of the blob on disk (what the byte budget counts).
    public var storedSize: Int64
    /// When the bytes were fetched into the cache.
    public var fetchedAt: Date
    /// The last time the entry was read or stored (in memory; persisted when the entry is written).
    public var lastAccess: Date
    /// The blob's file name inside the cache directory.
    var blobName: String
    /// Layout version of this record.
    var formatVersion: Int = 1
}
