import CZlib

/// A zip archive opened for reading: its central directory, and streamed access to each entry's data.
///
/// ```swift
/// let archive = try ZipArchive(path: "/tmp/app.zip")
/// for entry in archive.entries { print(entry.name, entry.uncompressedSize) }
/// let summary = try archive.extractAll(to: "/srv/app", options: ExtractionOptions(overwrite: true))
/// ```
/// Opening reads only the central directory. Every read of an entry's data checks its size and CRC-32.
/// Safe to share between tasks: reads use `pread` on one descriptor, closed when the archive is released.
public final class ZipArchive: Sendable {
    /// The archive's path, or nil when read from memory.
    public let path: String?
    /// The entries in central-directory order.
    public let entries: [ZipEntry]
    /// The archive comment.
    public let comment: String
    /// Bytes found before the archive proper (a self-extractor's stub), 0 for a plain archive.
    public let prefixLength: UInt64
    /// The archive's size in bytes.
    public var size: UInt64 { source.size }

    let source: ByteSource
    /// Where the central directory starts: entry data must end before it.
    let directoryStart: UInt64

    /// Size of the buffers for reading and inflating: large enough that syscalls and zlib calls are rare.
    static let bufferSize = 256 * 1024

    /// Opens the archive at `path` and reads its central directory.
    ///
    /// `maxEntries` bounds the directory read (an archive listing more entries throws `limitExceeded`).
    /// Throws `ZipError` (`notAZip`, `corrupt`, `unsupported`, `io`) naming the archive.
    public convenience init(path: String, maxEntries: Int = ExtractionOptions.defaultMaxEntries) throws {
        let source: ByteSource
        do {
            source = try ByteSource(path: path)
        } catch let error as ZipError {
            throw error.inArchive(path)
        }
        try self.init(source: source, path: path, maxEntries: maxEntries)
    }

    /// Reads an archive held in memory.
    public convenience init(bytes: [UInt8], maxEntries: Int = ExtractionOptions.defaultMaxEntries) throws {
        try self.init(source: ByteSource(bytes: bytes), path: nil, maxEntries: maxEntries)
    }

    init(source: ByteSource, path: String?, maxEntries: Int) throws {
        do {
            let directory = try CentralDirectory(source: source, maxEntries: maxEntries)
            self.entries = directory.entries
            self.comment = directory.comment
            self.prefixLength = directory.baseOffset
            self.directoryStart = directory.start
        } catch let error as ZipError {
            throw error.inArchive(path)
        }
        self.source = source
        self.path = path
    }

    /// The first entry whose decoded name is `name`.
    public func entry(named name: String) -> ZipEntry? {
        entries.first { $0.name == name }
    }

    /// Streams `entry`'s uncompressed bytes to `body` in chunks (valid only during each call), in constant
    /// memory, then checks the size and CRC-32; a mismatch throws after the last chunk was delivered.
    public func read(_ entry: ZipEntry, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let buffer = ReadBuffer(size: Self.bufferSize)
        try stream(entry, buffer: buffer, output: body)
    }

    /// The whole uncompressed data of `entry`, checked; throws `limitExceeded` if it declares more than `limit`.
    public func data(for entry: ZipEntry, limit: Int = 64 << 20) throws -> [UInt8] {
        guard entry.uncompressedSize <= UInt64(limit) else {
            throw ZipError(
                .limitExceeded, entry: entry.name,
                "declares \(entry.uncompressedSize) bytes, over the \(limit)-byte limit"
            )
            .inArchive(path)
        }
        var result: [UInt8] = []
        result.reserveCapacity(Int(entry.uncompressedSize))
        try read(entry) { result.append(contentsOf: $0) }
        return result
    }

    /// Decompresses every entry and checks its size and CRC-32, writing nothing; returns the bytes checked.
    ///
    /// Throws at the first entry that fails (unsupported method, corrupt data, checksum mismatch).
    @discardableResult
    public func test() throws -> UInt64 {
        let buffer = ReadBuffer(size: Self.bufferSize)
        var total: UInt64 = 0
        for entry in entries {
            try stream(entry, buffer: buffer) { total += UInt64($0.count) }
        }
        return total
    }

    /// Rejects entries this reader cannot decompress, naming the entry and the method.
    func checkSupported(_ entry: ZipEntry) throws {
        if entry.isEncrypted {
            throw ZipError(
                .unsupported, entry: entry.name, "unsupported: the entry is encrypted (method \(entry.method))"
            )
            .inArchive(path)
        }
        if !entry.method.isSupported {
            throw ZipError(.unsupported, entry: entry.name, "unsupported compression method \(entry.method)")
                .inArchive(path)
        }
    }

    /// Reads `entry`'s local header; returns where its data starts. Checks that the data fits in the archive.
    func dataStart(of entry: ZipEntry, buffer: ReadBuffer? = nil) throws -> UInt64 {
        guard let header = try source.bytes(at: entry.localHeaderOffset, count: 30) else {
            throw ZipError(.corrupt, entry: entry.name, "the local header is truncated").inArchive(path)
        }
        return try parseLocalHeader(entry, header)
    }

    private func parseLocalHeader(_ entry: ZipEntry, _ header: [UInt8]) throws -> UInt64 {
        var r = LittleEndianReader(header)
        guard r.u32() == CentralDirectory.localHeaderSignature else {
            throw ZipError(.corrupt, entry: entry.name, "no local header at offset \(entry.localHeaderOffset)")
                .inArchive(path)
        }
        _ = r.skip(22)
        let nameLength = UInt64(r.u16()!)
        let extraLength = UInt64(r.u16()!)
        let start = entry.localHeaderOffset + 30 + nameLength + extraLength
        let (end, overflow) = start.addingReportingOverflow(entry.compressedSize)
        guard !overflow, end <= source.size else {
            throw ZipError(.corrupt, entry: entry.name, "the data runs past the end of the archive (truncated?)")
                .inArchive(path)
        }
        return start
    }

    /// Streams one entry's data through `output`, checking sizes, the end of the deflate stream, the CRC-32
    /// and the data descriptor's CRC-32.
    func stream(_ entry: ZipEntry, buffer: ReadBuffer, output: (UnsafeRawBufferPointer) throws -> Void) throws {
        try checkSupported(entry)
        let memory = buffer.memory
        // One read for the local header and, for small entries, the data too.
        let guess = min(30 + entry.rawName.count + entry.extraLength + 64, memory.count)
        let want = Int(min(UInt64(memory.count - guess), entry.compressedSize)) + guess
        let got = try source.read(
            at: entry.localHeaderOffset, into: UnsafeMutableRawBufferPointer(rebasing: memory[0..<want]))
        guard got >= 30 else {
            throw ZipError(.corrupt, entry: entry.name, "the local header is truncated").inArchive(path)
        }
        let dataStart = try parseLocalHeader(entry, Array(UnsafeRawBufferPointer(rebasing: memory[0..<30])))
        let headerLength = Int(dataStart - entry.localHeaderOffset)

        if entry.method == .stored && entry.compressedSize != entry.uncompressedSize {
            throw ZipError(
                .corrupt, entry: entry.name,
                "stored entry declares \(entry.compressedSize) compressed but \(entry.uncompressedSize) uncompressed bytes"
            ).inArchive(path)
        }
        let inflater =
            entry.method == .deflate
            ? try InflateStream(
                format: .raw, chunkSize: Int(min(UInt64(Self.bufferSize), max(entry.uncompressedSize, 64))))
            : nil

        var crc = CRC32()
        var produced: UInt64 = 0
        let declared = entry.uncompressedSize
        let name = entry.name
        let archivePath = path
        func deliver(_ chunk: UnsafeRawBufferPointer) throws {
            produced += UInt64(chunk.count)
            guard produced <= declared else {
                throw ZipError(.corrupt, entry: name, "the data is larger than its declared size of \(declared) bytes")
                    .inArchive(archivePath)
            }
            crc.update(chunk)
            try output(chunk)
        }

        var offset = dataStart
        var remaining = entry.compressedSize
        var preread = headerLength < got ? Int(min(UInt64(got - headerLength), remaining)) : 0
        while remaining > 0 {
            let chunk: UnsafeRawBufferPointer
            if preread > 0 {
                chunk = UnsafeRawBufferPointer(rebasing: memory[headerLength..<(headerLength + preread)])
                preread = 0
            } else {
                let count = Int(min(UInt64(memory.count), remaining))
                let n = try source.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: memory[0..<count]))
                guard n == count else {
                    throw ZipError(.corrupt, entry: name, "the data is truncated").inArchive(path)
                }
                chunk = UnsafeRawBufferPointer(rebasing: memory[0..<count])
            }
            offset += UInt64(chunk.count)
            remaining -= UInt64(chunk.count)
            if let inflater {
                let consumed: Int
                do {
                    consumed = try inflater.decompress(chunk, output: deliver)
                } catch let error as ZlibError {
                    throw ZipError(.corrupt, entry: name, "corrupt deflate data: \(error)").inArchive(path)
                }
                if inflater.isFinished && (consumed < chunk.count || remaining > 0) {
                    throw ZipError(.corrupt, entry: name, "the deflate stream ends before the declared compressed size")
                        .inArchive(path)
                }
            } else {
                try deliver(chunk)
            }
        }
        if let inflater, !inflater.isFinished {
            // An empty compressed payload is how some writers store empty files and directories as "deflate".
            if !(entry.compressedSize == 0 && declared == 0) {
                throw ZipError(.corrupt, entry: name, "the deflate stream is truncated").inArchive(path)
            }
        }
        guard produced == declared else {
            throw ZipError(.corrupt, entry: name, "the data has \(produced) bytes, its declared size is \(declared)")
                .inArchive(path)
        }
        guard crc.value == entry.crc32 else {
            throw ZipError(
                .checksumMismatch, entry: name,
                "CRC-32 mismatch: computed \(hex(crc.value)), stored \(hex(entry.crc32))"
            )
            .inArchive(path)
        }
        if entry.hasDataDescriptor {
            guard let descriptor = try source.bytes(at: offset, count: 4) else {
                throw ZipError(.corrupt, entry: name, "the data descriptor is truncated").inArchive(path)
            }
            var stored = LittleEndianReader.u32(descriptor)!
            if stored == CentralDirectory.dataDescriptorSignature {
                guard let next = try source.bytes(at: offset + 4, count: 4) else {
                    throw ZipError(.corrupt, entry: name, "the data descriptor is truncated").inArchive(path)
                }
                stored = LittleEndianReader.u32(next)!
            }
            guard stored == crc.value else {
                throw ZipError(
                    .checksumMismatch, entry: name,
                    "CRC-32 mismatch: computed \(hex(crc.value)), data descriptor says \(hex(stored))"
                ).inArchive(path)
            }
        }
    }

    private func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}
