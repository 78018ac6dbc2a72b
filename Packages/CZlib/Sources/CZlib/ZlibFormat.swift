/// The framing around deflate data.
public enum ZlibFormat: Sendable, Hashable {
    /// Bare deflate, as inside zip entries (RFC 1951).
    case raw
    /// zlib header and Adler-32 trailer (RFC 1950).
    case zlib
    /// gzip header and CRC-32 trailer (RFC 1952), as in `Content-Encoding: gzip`.
    case gzip

    var windowBits: Int32 {
        switch self {
        case .raw: return -15
        case .zlib: return 15
        case .gzip: return 31
        }
    }
}
