/// How an entry's bytes are kept on disk.
public enum StoredEncoding: String, Sendable, Hashable, Codable {
    /// The original bytes, unchanged (content that did not compress well: zips, tarballs, images).
    case identity
    /// One standard gzip member (RFC 1952): the blob is a valid `Content-Encoding: gzip` body as it stands.
    case gzip
}
