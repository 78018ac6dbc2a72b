/// Fetches artifacts for `download` and `download_s3` steps (through the server).
public protocol ArtifactFetching: Sendable {
    /// Writes the artifact at `url` to `path` (a new file) and returns what the server said about it.
    func fetch(url: String, cache: Bool, to path: String) async throws -> FetchedArtifact
}

/// What a fetch produced.
public struct FetchedArtifact: Sendable, Equatable {
    /// Bytes written.
    public var bytes: Int64
    /// The server's `X-Prostagma-SHA256` header, when it sent one (lowercase hex).
    public var sha256: String?
    /// The SHA-256 of the bytes written (lowercase hex), hashed while they were received; nil when the fetcher
    /// did not hash them, and the file must be read again to check it.
    public var receivedSHA256: String?

    /// Makes a fetch result.
    public init(bytes: Int64, sha256: String?, receivedSHA256: String? = nil) {
        self.bytes = bytes
        self.sha256 = sha256
        self.receivedSHA256 = receivedSHA256
    }
}

/// Extracts zip archives for `unzip` steps.
public protocol ArchiveExtracting: Sendable {
    /// Extracts `src` into `dest` safely (nothing outside `dest`), replacing files only when `overwrite`.
    /// Returns the number of entries written.
    func extract(src: String, dest: String, overwrite: Bool) async throws -> Int
}
