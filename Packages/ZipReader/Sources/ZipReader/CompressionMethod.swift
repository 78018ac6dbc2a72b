/// The compression method of an entry (APPNOTE 4.4.5); only `stored` and `deflate` can be read.
public struct CompressionMethod: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The number stored in the archive.
    public let rawValue: UInt16

    /// Wraps a stored method number.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// No compression.
    public static let stored = CompressionMethod(rawValue: 0)
    /// Deflate (RFC 1951), the usual method.
    public static let deflate = CompressionMethod(rawValue: 8)
    /// Deflate64 ("enhanced deflate"); not supported.
    public static let deflate64 = CompressionMethod(rawValue: 9)
    /// bzip2; not supported.
    public static let bzip2 = CompressionMethod(rawValue: 12)
    /// LZMA; not supported.
    public static let lzma = CompressionMethod(rawValue: 14)
    /// Zstandard; not supported.
    public static let zstd = CompressionMethod(rawValue: 93)
    /// xz; not supported.
    public static let xz = CompressionMethod(rawValue: 95)
    /// WinZip AES encryption marker; not supported.
    public static let aesEncrypted = CompressionMethod(rawValue: 99)

    /// True for the methods this package can decompress.
    public var isSupported: Bool { self == .stored || self == .deflate }

    /// The method's usual name and number, e.g. `bzip2 (12)`.
    public var description: String {
        let names: [UInt16: String] = [
            0: "stored", 1: "shrink", 2: "reduce-1", 3: "reduce-2", 4: "reduce-3", 5: "reduce-4", 6: "implode",
            8: "deflate", 9: "deflate64", 10: "PKWARE DCL implode", 12: "bzip2", 14: "LZMA", 16: "IBM z/OS CMPSC",
            18: "IBM TERSE", 19: "IBM LZ77", 20: "zstd (old id)", 93: "zstd", 94: "MP3", 95: "xz", 96: "JPEG",
            97: "WavPack", 98: "PPMd", 99: "AES encryption",
        ]
        return "\(names[rawValue] ?? "method") (\(rawValue))"
    }
}
