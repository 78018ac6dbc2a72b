/// One entry of the central directory: a file, a directory or a symbolic link.
public struct ZipEntry: Sendable, Hashable {
    /// Position in the central directory (0-based).
    public let index: Int
    /// The decoded name: UTF-8 when flagged (or when the bytes are valid UTF-8), CP437 otherwise.
    public let name: String
    /// The name's bytes as stored.
    public let rawName: [UInt8]
    /// True when general-purpose bit 11 says the name is UTF-8.
    public let isUTF8Flagged: Bool
    /// How the data is compressed.
    public let method: CompressionMethod
    /// General-purpose flags (bit 0 encrypted, bit 3 data descriptor, bit 11 UTF-8).
    public let flags: UInt16
    /// The CRC-32 of the uncompressed data.
    public let crc32: UInt32
    /// Bytes stored in the archive.
    public let compressedSize: UInt64
    /// Bytes after decompression.
    public let uncompressedSize: UInt64
    /// The "version made by" field; its high byte is the host system (0 MS-DOS, 3 Unix, 19 macOS).
    public let versionMadeBy: UInt16
    /// The external attributes: MS-DOS attributes in the low byte, a Unix mode in the high 16 bits.
    public let externalAttributes: UInt32
    /// MS-DOS date and time of last modification (date in the high 16 bits).
    public let dosDateTime: UInt32
    /// Absolute offset of the local header in the archive file (prepended data already accounted for).
    public let localHeaderOffset: UInt64
    /// The entry's comment.
    public let comment: String
    /// Length of the central-directory extra field, used to guess the local header's size in one read.
    let extraLength: Int

    init(
        index: Int, name: String, rawName: [UInt8], isUTF8Flagged: Bool, method: CompressionMethod, flags: UInt16,
        crc32: UInt32, compressedSize: UInt64, uncompressedSize: UInt64, versionMadeBy: UInt16,
        externalAttributes: UInt32, dosDateTime: UInt32, localHeaderOffset: UInt64, comment: String,
        extraLength: Int
    ) {
        self.index = index
        self.name = name
        self.rawName = rawName
        self.isUTF8Flagged = isUTF8Flagged
        self.method = method
        self.flags = flags
        self.crc32 = crc32
        self.compressedSize = compressedSize
        self.uncompressedSize = uncompressedSize
        self.versionMadeBy = versionMadeBy
        self.externalAttributes = externalAttributes
        self.dosDateTime = dosDateTime
        self.localHeaderOffset = localHeaderOffset
        self.comment = comment
        self.extraLength = extraLength
    }

    /// True when the entry is encrypted (traditional PKWARE, strong encryption or WinZip AES).
    public var isEncrypted: Bool { flags & 0x0001 != 0 || flags & 0x0040 != 0 || method == .aesEncrypted }

    /// True when sizes and CRC follow the data in a data descriptor (general-purpose bit 3).
    public var hasDataDescriptor: Bool { flags & 0x0008 != 0 }

    /// The Unix mode (type and permission bits) when the writer stored one, else nil.
    ///
    /// Unix and macOS writers store it in the high 16 bits of the external attributes; p7zip does too on an
    /// MS-DOS host and marks it with bit 0x8000.
    public var unixMode: UInt32? {
        let high = externalAttributes >> 16
        let host = versionMadeBy >> 8
        guard high != 0 else { return nil }
        if host == 3 || host == 19 || externalAttributes & 0x8000 != 0 { return high }
        return nil
    }

    /// True for directories: a name ending in `/`, a Unix directory mode, or the MS-DOS directory attribute.
    public var isDirectory: Bool {
        if rawName.last == UInt8(ascii: "/") { return true }
        if let mode = unixMode { return mode & 0o170000 == 0o040000 }
        return externalAttributes & 0x10 != 0 && uncompressedSize == 0
    }

    /// True for symbolic links (Unix mode type `S_IFLNK`); the data is the link's target.
    public var isSymlink: Bool {
        guard let mode = unixMode, !isDirectory else { return false }
        return mode & 0o170000 == 0o120000
    }

    /// The permission bits extraction applies (setuid, setgid and sticky bits are never applied).
    ///
    /// From the Unix mode when stored; otherwise 0o755 for directories, 0o444 for MS-DOS read-only files,
    /// 0o644 for other files (Info-ZIP `unzip`'s defaults under umask 022).
    public var permissions: UInt32 {
        if let mode = unixMode, mode & 0o777 != 0 || mode & 0o170000 != 0 {
            return mode & 0o777
        }
        if isDirectory { return 0o755 }
        return externalAttributes & 0x01 != 0 ? 0o444 : 0o644
    }
}
