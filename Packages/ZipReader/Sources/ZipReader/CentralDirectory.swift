import CZlib

/// Finds the end-of-central-directory record and reads the central directory.
///
/// Follows what Go's archive/zip learned from real archives: the EOCD is the last signature in the final
/// 64 KiB + 22 bytes, and one whose comment runs past the end of the file is an error (never a reason to
/// look further back); zip64 records are consulted only when the EOCD's fields are saturated; data
/// prepended to the archive (self-extractors) is found from the directory's own position, but an offset of
/// 0 wins when a valid directory header is found there.
struct CentralDirectory {
    var entries: [ZipEntry] = []
    var comment: String = ""
    /// Where the central directory starts (absolute).
    var start: UInt64 = 0
    /// Where the EOCD (or zip64 EOCD) record starts: nothing of an entry may lie at or past `start`.
    var end: UInt64 = 0
    /// Bytes before the archive proper (a self-extractor's stub).
    var baseOffset: UInt64 = 0

    static let eocdSignature: UInt32 = 0x0605_4B50
    static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    static let zip64EOCDSignature: UInt32 = 0x0606_4B50
    static let centralHeaderSignature: UInt32 = 0x0201_4B50
    static let localHeaderSignature: UInt32 = 0x0403_4B50
    static let dataDescriptorSignature: UInt32 = 0x0807_4B50

    init(source: ByteSource, maxEntries: Int) throws {
        let (eocdOffset, eocd) = try Self.findEOCD(source)
        var reader = LittleEndianReader(eocd, at: 4)
        let disk = reader.u16()!
        let cdDisk = reader.u16()!
        _ = reader.u16()!
        var records = UInt64(reader.u16()!)
        var cdSize = UInt64(reader.u32()!)
        var cdOffset = UInt64(reader.u32()!)
        let commentLength = Int(reader.u16()!)
        comment = EntryNameDecoder.decode(reader.take(commentLength) ?? [], utf8Flag: false)

        var directoryEnd = eocdOffset
        var isZip64 = false
        if records == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF {
            if let (offset, record) = try Self.findZip64EOCD(source, eocdOffset: eocdOffset) {
                var z = LittleEndianReader(record, at: 16)
                let disk64 = z.u32()!
                let cdDisk64 = z.u32()!
                _ = z.u64()!
                records = z.u64()!
                cdSize = z.u64()!
                cdOffset = z.u64()!
                // Like Go and Info-ZIP, disk numbers are not trusted: fuzzed and damaged archives set them.
                _ = (disk64, cdDisk64)
                directoryEnd = offset
                isZip64 = true
            }
        }
        _ = (disk, cdDisk)

        // Each central header is at least 46 bytes: a count beyond that is a lie (and an allocation bomb).
        guard cdSize <= directoryEnd, records <= directoryEnd / 46 + 1 else {
            throw ZipError(.corrupt, "the end-of-central-directory record claims \(records) entries in \(cdSize) bytes")
        }
        // A directory size too large for its offset is a lie; offset 0 is then the only candidate.
        let computedStart = directoryEnd - cdSize
        var base = computedStart >= cdOffset ? computedStart - cdOffset : 0
        if base > 0, cdOffset < directoryEnd,
            let sig = try source.bytes(at: cdOffset, count: 4),
            LittleEndianReader.u32(sig) == Self.centralHeaderSignature
        {
            base = 0
        }
        baseOffset = base
        start = base + cdOffset
        end = directoryEnd
        guard start <= directoryEnd else {
            throw ZipError(.corrupt, "the central directory starts past the end-of-central-directory record")
        }
        if records > 0 {
            try readEntries(source, maxEntries: maxEntries)
        }
        let expected = isZip64 ? records : records & 0xFFFF
        let found = UInt64(entries.count)
        guard (isZip64 ? found : found & 0xFFFF) == expected else {
            throw ZipError(
                .corrupt, "the end-of-central-directory record lists \(records) entries, the directory has \(found)")
        }
    }

    private static func findEOCD(_ source: ByteSource) throws -> (UInt64, [UInt8]) {
        let tailLength = Int(min(source.size, 65_535 + 22))
        guard tailLength >= 22, let tail = try source.bytes(at: source.size - UInt64(tailLength), count: tailLength)
        else {
            throw ZipError(.notAZip, "not a zip archive: too short")
        }
        var i = tail.count - 22
        while i >= 0 {
            if tail[i] == 0x50 && tail[i + 1] == 0x4B && tail[i + 2] == 0x05 && tail[i + 3] == 0x06 {
                let commentLength = Int(tail[i + 20]) | Int(tail[i + 21]) << 8
                guard i + 22 + commentLength <= tail.count else {
                    throw ZipError(.corrupt, "the archive comment runs past the end of the file (truncated archive)")
                }
                let offset = source.size - UInt64(tailLength) + UInt64(i)
                return (offset, Array(tail[i..<(i + 22 + commentLength)]))
            }
            i -= 1
        }
        throw ZipError(.notAZip, "not a zip archive: no end-of-central-directory record")
    }

    private static func findZip64EOCD(_ source: ByteSource, eocdOffset: UInt64) throws -> (UInt64, [UInt8])? {
        guard eocdOffset >= 20, let locator = try source.bytes(at: eocdOffset - 20, count: 20) else { return nil }
        var r = LittleEndianReader(locator)
        guard r.u32() == zip64LocatorSignature else { return nil }
        guard r.u32() == 0 else { return nil }
        let recordOffset = r.u64()!
        guard r.u32()! <= 1 else { return nil }
        // The locator's offset ignores prepended data; the record normally sits right before the locator.
        var candidates = [recordOffset]
        if eocdOffset >= 20 + 56 { candidates.append(eocdOffset - 20 - 56) }
        for offset in candidates where offset < eocdOffset - 20 {
            guard let record = try source.bytes(at: offset, count: 56) else { continue }
            if LittleEndianReader.u32(record) == zip64EOCDSignature {
                return (offset, record)
            }
        }
        throw ZipError(.corrupt, "the zip64 end-of-central-directory record is missing")
    }

    private mutating func readEntries(_ source: ByteSource, maxEntries: Int) throws {
        // A header must start before the end record, but (as Go allows) may run into it.
        var window = Window(source: source, limit: source.size)
        var offset = start
        while offset < end {
            guard let fixed = try window.bytes(at: offset, count: 46) else { break }
            var r = LittleEndianReader(fixed)
            guard r.u32() == Self.centralHeaderSignature else { break }
            guard entries.count < maxEntries else {
                throw ZipError(.limitExceeded, "the archive has more than \(maxEntries) entries")
            }
            let versionMadeBy = r.u16()!
            _ = r.u16()!
            let flags = r.u16()!
            let method = r.u16()!
            let time = r.u16()!
            let date = r.u16()!
            let crc = r.u32()!
            var compressed = UInt64(r.u32()!)
            var uncompressed = UInt64(r.u32()!)
            let nameLength = Int(r.u16()!)
            let extraLength = Int(r.u16()!)
            let commentLength = Int(r.u16()!)
            _ = r.u16()!
            _ = r.u16()!
            let external = r.u32()!
            var localOffset = UInt64(r.u32()!)
            let variableLength = nameLength + extraLength + commentLength
            guard let variableSlice = try window.bytes(at: offset + 46, count: variableLength) else {
                throw ZipError(.corrupt, "central directory entry \(entries.count) is truncated")
            }
            let variable = Array(variableSlice)
            let rawName = Array(variable[0..<nameLength])
            let extra = Array(variable[nameLength..<(nameLength + extraLength)])
            let commentBytes = Array(variable[(nameLength + extraLength)...])
            let utf8 = flags & 0x0800 != 0
            var name = EntryNameDecoder.decode(rawName, utf8Flag: utf8)

            var needUncompressed = uncompressed == 0xFFFF_FFFF
            var needCompressed = compressed == 0xFFFF_FFFF
            var needOffset = localOffset == 0xFFFF_FFFF
            var extraReader = LittleEndianReader(extra)
            while extraReader.remaining >= 4 {
                let tag = extraReader.u16()!
                let size = Int(extraReader.u16()!)
                guard let field = extraReader.take(size) else { break }
                var f = LittleEndianReader(field)
                switch tag {
                case 0x0001:
                    if needUncompressed {
                        guard let v = f.u64() else { throw corruptZip64(rawName, utf8) }
                        uncompressed = v
                        needUncompressed = false
                    }
                    if needCompressed {
                        guard let v = f.u64() else { throw corruptZip64(rawName, utf8) }
                        compressed = v
                        needCompressed = false
                    }
                    if needOffset {
                        guard let v = f.u64() else { throw corruptZip64(rawName, utf8) }
                        localOffset = v
                        needOffset = false
                    }
                case 0x7075:
                    // Info-ZIP Unicode Path: a UTF-8 name, valid while the CRC of the stored name matches.
                    if f.u8() == 1, let nameCRC = f.u32(), nameCRC == CRC32.checksum(rawName),
                        let unicode = f.take(f.remaining)
                    {
                        name = String(decoding: unicode, as: UTF8.self)
                    }
                default:
                    break
                }
            }
            // A bad offset is reported when the entry is read, as Go does, so the rest stays listable.
            let (sum, overflow) = localOffset.addingReportingOverflow(baseOffset)
            let absolute = overflow ? UInt64.max : sum
            entries.append(
                ZipEntry(
                    index: entries.count, name: name, rawName: rawName, isUTF8Flagged: utf8,
                    method: CompressionMethod(rawValue: method), flags: flags, crc32: crc,
                    compressedSize: compressed, uncompressedSize: uncompressed, versionMadeBy: versionMadeBy,
                    externalAttributes: external, dosDateTime: UInt32(date) << 16 | UInt32(time),
                    localHeaderOffset: absolute,
                    comment: EntryNameDecoder.decode(commentBytes, utf8Flag: utf8), extraLength: extraLength))
            offset += 46 + UInt64(variableLength)
        }
    }

    private func corruptZip64(_ rawName: [UInt8], _ utf8: Bool) -> ZipError {
        ZipError(
            .corrupt, entry: EntryNameDecoder.decode(rawName, utf8Flag: utf8), "the zip64 extra field is too short")
    }
}

/// A sliding 1 MiB window over the source, so reading a directory of 100,000 entries costs few syscalls
/// and a lying directory size never makes us read (or allocate) more than the window.
private struct Window {
    let source: ByteSource
    let limit: UInt64
    var buffer: [UInt8] = []
    var bufferStart: UInt64 = 0

    init(source: ByteSource, limit: UInt64) {
        self.source = source
        self.limit = limit
    }

    mutating func bytes(at offset: UInt64, count: Int) throws -> ArraySlice<UInt8>? {
        let (stop, overflow) = offset.addingReportingOverflow(UInt64(count))
        guard !overflow, stop <= limit else { return nil }
        if offset < bufferStart || stop > bufferStart + UInt64(buffer.count) {
            let length = Int(min(limit - offset, UInt64(max(count, 1 << 20))))
            guard let fresh = try source.bytes(at: offset, count: length) else { return nil }
            buffer = fresh
            bufferStart = offset
        }
        let from = Int(offset - bufferStart)
        return buffer[from..<(from + count)]
    }
}

extension LittleEndianReader {
    init(_ slice: ArraySlice<UInt8>) {
        self.init(Array(slice))
    }
}
