import CZlib
import Foundation
import Testing

@testable import ZipReader

/// Reading archives built byte by byte: the format's corners that real tools rarely produce on demand.
@Suite("Reading", .timeLimit(.minutes(5)))
struct ReadingTests {
    @Test func findsTheEndRecordBehindACommentAndPrependedData() throws {
        var builder = ZipBuilder([.init("a.txt", "hello"), .init("b.txt", "world", method: 0)])
        builder.prefix = Array(repeating: 0x7F, count: 5000)
        builder.comment = Array("a comment with PK in it".utf8)
        let archive = try ZipArchive(bytes: builder.build())
        #expect(archive.prefixLength == 5000)
        #expect(archive.comment == "a comment with PK in it")
        #expect(try archive.text("a.txt") == "hello")
        #expect(try archive.text("b.txt") == "world")
    }

    @Test func readsAMaximalCommentOf65535Bytes() throws {
        var builder = ZipBuilder([.init("a.txt", "x")])
        builder.comment = Array(repeating: UInt8(ascii: "c"), count: 65_535)
        let archive = try ZipArchive(bytes: builder.build())
        #expect(archive.comment.count == 65_535)
        #expect(try archive.text("a.txt") == "x")
    }

    @Test func readsZip64SizesAndOffsets() throws {
        var builder = ZipBuilder([.init("big.txt", "zip64 data"), .init("s.txt", "stored", method: 0)])
        builder.zip64 = true
        let archive = try ZipArchive(bytes: builder.build())
        #expect(archive.entries.count == 2)
        #expect(try archive.text("big.txt") == "zip64 data")
        #expect(try archive.text("s.txt") == "stored")
    }

    @Test func readsMoreThan65535EntriesThroughZip64() throws {
        var builder = ZipBuilder()
        builder.entries = (0..<70_000).map { ZipBuilder.Entry("d/\($0)", [UInt8(truncatingIfNeeded: $0)], method: 0) }
        builder.zip64 = true
        let archive = try ZipArchive(bytes: builder.build())
        #expect(archive.entries.count == 70_000)
        #expect(archive.entries[69_999].name == "d/69999")
        #expect(try archive.test() == 70_000)
    }

    @Test func readsMoreThan65535EntriesWithoutZip64ByTheLow16Bits() throws {
        // Some writers store the count modulo 65,536 and no zip64 record; the directory itself is the truth.
        var builder = ZipBuilder()
        builder.entries = (0..<65_540).map { ZipBuilder.Entry("f\($0)", [], method: 0) }
        let archive = try ZipArchive(bytes: builder.build())
        #expect(archive.entries.count == 65_540)
    }

    @Test(arguments: [ZipBuilder.Descriptor.withSignature, .withoutSignature])
    func readsDataDescriptors(_ kind: ZipBuilder.Descriptor) throws {
        var a = ZipBuilder.Entry("a.txt", "streamed")
        a.descriptor = kind
        var b = ZipBuilder.Entry("b.bin", "stored and streamed", method: 0)
        b.descriptor = kind
        let archive = try ZipArchive(bytes: ZipBuilder([a, b]).build())
        #expect(archive.entries.allSatisfy { $0.hasDataDescriptor })
        #expect(try archive.text("a.txt") == "streamed")
        #expect(try archive.text("b.bin") == "stored and streamed")
    }

    @Test func dataDescriptorWithAWrongCRCIsAChecksumMismatch() throws {
        var a = ZipBuilder.Entry("a.txt", "streamed")
        a.descriptor = .withSignature
        a.descriptorCRC = 0xDEAD_BEEF
        let archive = try ZipArchive(bytes: ZipBuilder([a]).build())
        let error = zipError { _ = try archive.text("a.txt") }
        #expect(error?.kind == .checksumMismatch)
        #expect(error?.description.contains("a.txt") == true)
    }

    @Test func cp437NamesAreDecoded() throws {
        var entry = ZipBuilder.Entry("x", "dos")
        entry.name = [0x80, 0x94, 0x81, 0x2E, 0x74, 0x78, 0x74]  // "Çöü.txt" in CP437, not valid UTF-8
        entry.unixMode = nil
        let archive = try ZipArchive(bytes: ZipBuilder([entry]).build())
        #expect(archive.entries[0].name == "Çöü.txt")
        #expect(!archive.entries[0].isUTF8Flagged)
    }

    @Test func utf8FlaggedNamesAreUTF8() throws {
        var entry = ZipBuilder.Entry("naïve/日本.txt", "u")
        entry.flags = 0x0800
        let archive = try ZipArchive(bytes: ZipBuilder([entry]).build())
        #expect(archive.entries[0].name == "naïve/日本.txt")
        #expect(archive.entries[0].isUTF8Flagged)
    }

    @Test func infoZipUnicodePathExtraWinsWhenItsCRCMatches() throws {
        var entry = ZipBuilder.Entry("x", "u")
        entry.name = [0x63, 0x61, 0x66, 0x82]  // "café" in CP437
        var field: [UInt8] = [1]
        field.u32(CRC32.checksum(entry.name))
        field += Array("café-unicode".utf8)
        entry.extra.u16(0x7075)
        entry.extra.u16(UInt16(field.count))
        entry.extra += field
        let archive = try ZipArchive(bytes: ZipBuilder([entry]).build())
        #expect(archive.entries[0].name == "café-unicode")
    }

    @Test func unixModesDirectoriesAndSymlinksComeFromExternalAttributes() throws {
        let archive = try ZipArchive(
            bytes: ZipBuilder([
                .init("run.sh", "#!/bin/sh\n", mode: 0o100755), .directory("dir/", mode: 0o40750),
                .symlink("link", to: "run.sh"), .init("dos.txt", "d", mode: nil),
            ]).build())
        let e = archive.entries
        #expect(e[0].permissions == 0o755 && !e[0].isDirectory && !e[0].isSymlink)
        #expect(e[1].isDirectory && e[1].permissions == 0o750)
        #expect(e[2].isSymlink && e[2].unixMode == 0o120777)
        #expect(e[3].unixMode == nil && e[3].permissions == 0o644)
    }

    @Test func streamsALargeEntryInBoundedChunks() throws {
        var data = [UInt8](repeating: 0, count: 3 << 20)
        for i in data.indices { data[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 13) }
        let archive = try ZipArchive(bytes: ZipBuilder([.init("big", data)]).build())
        var largest = 0
        var total = 0
        var crc = CRC32()
        try archive.read(archive.entries[0]) { chunk in
            largest = max(largest, chunk.count)
            total += chunk.count
            crc.update(chunk)
        }
        #expect(total == data.count)
        #expect(largest <= ZipArchive.bufferSize)
        #expect(crc.value == CRC32.checksum(data))
    }

    @Test(arguments: [UInt64(3), 100])
    func declaredUncompressedSizeThatLiesIsCorrupt(_ declared: UInt64) throws {
        var entry = ZipBuilder.Entry("lie.txt", "more than three bytes")
        entry.uncompressedSize = declared
        let archive = try ZipArchive(bytes: ZipBuilder([entry]).build())
        let error = zipError { _ = try archive.text("lie.txt") }
        #expect(error?.kind == .corrupt)
        #expect(error?.entry == "lie.txt")
    }

    @Test func compressedSizeLargerThanTheDeflateStreamIsCorrupt() throws {
        var entry = ZipBuilder.Entry("pad.txt", "data")
        entry.payload = try DeflateStream.compress(Array("data".utf8)) + [0, 0, 0, 0]
        let archive = try ZipArchive(bytes: ZipBuilder([entry]).build())
        #expect(zipError { _ = try archive.text("pad.txt") }?.kind == .corrupt)
    }

    @Test func storedEntryWhoseSizesDisagreeIsCorrupt() throws {
        var entry = ZipBuilder.Entry("s.bin", "stored", method: 0)
        entry.compressedSize = 3
        let archive = try ZipArchive(bytes: ZipBuilder([entry]).build())
        #expect(zipError { _ = try archive.text("s.bin") }?.kind == .corrupt)
    }

    @Test func wrongCRCIsACheckumMismatchNamingTheEntry() throws {
        var entry = ZipBuilder.Entry("c.txt", "checked")
        entry.crc = 1
        let archive = try ZipArchive(bytes: ZipBuilder([entry]).build())
        let error = zipError { _ = try archive.test() }
        #expect(error?.kind == .checksumMismatch)
        #expect(error?.description.contains("entry \"c.txt\": CRC-32 mismatch") == true)
    }

    @Test func truncatedArchiveIsNotAZip() throws {
        let bytes = ZipBuilder([.init("a.txt", "hello")]).build()
        #expect(zipError { _ = try ZipArchive(bytes: Array(bytes.dropLast(10))) }?.kind != nil)
        #expect(zipError { _ = try ZipArchive(bytes: []) }?.kind == .notAZip)
    }

    @Test func everyTruncationOfAnArchiveFailsCleanly() throws {
        let bytes = ZipBuilder([.init("a.txt", "hello hello hello"), .init("b", "x", method: 0)]).build()
        for length in 0..<bytes.count {
            if let archive = try? ZipArchive(bytes: Array(bytes[0..<length])) {
                #expect(throws: ZipError.self) { try archive.test() }
            }
        }
    }

    @Test func openingAMissingFileNamesIt() {
        let error = zipError { _ = try ZipArchive(path: "/nonexistent/x.zip") }
        #expect(error?.kind == .io)
        #expect(error?.description.hasPrefix("/nonexistent/x.zip: ") == true)
    }

    @Test func hugeZip64SizesNeverOverflow() throws {
        var entry = ZipBuilder.Entry("huge", "x")
        entry.compressedSize = .max - 3
        entry.uncompressedSize = .max
        var builder = ZipBuilder([entry, entry])
        builder.entries[1].name = Array("huge2".utf8)
        builder.zip64 = true
        let archive = try ZipArchive(bytes: builder.build())
        #expect(archive.entries[0].compressedSize == UInt64.max - 3)
        #expect(zipError { _ = try archive.read(archive.entries[0]) { _ in } }?.kind == .corrupt)
        #expect(zipError { _ = try archive.extractAll(to: "/nonexistent/never") }?.kind == .limitExceeded)
    }
}
