import Foundation

/// Writes a zip archive of stored (uncompressed) files with one shared content, fast enough to make tens of
/// thousands of entries in a test (Python's `zipfile` takes seconds for that on a loaded machine).
enum StoredZip {
    /// The archive's bytes: `count` files named by `name(i)`, each holding `content`. Classic zip (no zip64),
    /// so `count` must stay below 65,535.
    static func make(count: Int, content: [UInt8], name: (Int) -> String) -> [UInt8] {
        precondition(count < 0xFFFF, "classic zip only")
        let crc = crc32(content)
        var local: [UInt8] = []
        var central: [UInt8] = []
        local.reserveCapacity(count * (30 + 24 + content.count))
        central.reserveCapacity(count * (46 + 24))
        for index in 0..<count {
            let nameBytes = Array(name(index).utf8)
            let offset = UInt32(local.count)
            local += le32(0x0403_4b50) + le16(10) + le16(0) + le16(0) + le16(0) + le16(0x21)
            local += le32(crc) + le32(UInt32(content.count)) + le32(UInt32(content.count))
            local += le16(UInt16(nameBytes.count)) + le16(0) + nameBytes + content
            central += le32(0x0201_4b50) + le16(0x031E) + le16(10) + le16(0) + le16(0) + le16(0) + le16(0x21)
            central += le32(crc) + le32(UInt32(content.count)) + le32(UInt32(content.count))
            central += le16(UInt16(nameBytes.count)) + le16(0) + le16(0) + le16(0) + le16(0)
            central += le32(0o100644 << 16) + le32(offset) + nameBytes
        }
        var end: [UInt8] = le32(0x0605_4b50) + le16(0) + le16(0)
        end += le16(UInt16(count)) + le16(UInt16(count)) + le32(UInt32(central.count)) + le32(UInt32(local.count))
        end += le16(0)
        return local + central + end
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    private static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }

    private static func le32(_ value: UInt32) -> [UInt8] {
        [
            UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF),
            UInt8(value >> 24),
        ]
    }
}
