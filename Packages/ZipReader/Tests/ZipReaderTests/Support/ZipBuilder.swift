import CZlib

/// Writes zip archives byte by byte, including the broken and hostile ones real tools refuse to make.
struct ZipBuilder {
    enum Descriptor {
        case none
        case withSignature
        case withoutSignature
    }

    struct Entry {
        var name: [UInt8]
        var data: [UInt8]
        var method: UInt16 = 8
        var flags: UInt16 = 0
        /// Unix mode in the external attributes (host Unix); nil writes an MS-DOS entry.
        var unixMode: UInt32? = 0o100644
        var dosAttributes: UInt32 = 0
        var descriptor: Descriptor = .none
        var crc: UInt32? = nil
        var descriptorCRC: UInt32? = nil
        var compressedSize: UInt64? = nil
        var uncompressedSize: UInt64? = nil
        /// Raw payload instead of compressing `data`.
        var payload: [UInt8]? = nil
        /// Point the central directory at another entry's local header (by index) to make overlaps.
        var sharesHeaderOf: Int? = nil
        var extra: [UInt8] = []

        init(_ name: String, _ data: [UInt8] = [], method: UInt16 = 8, mode: UInt32? = 0o100644) {
            self.name = Array(name.utf8)
            self.data = data
            self.method = method
            self.unixMode = mode
        }

        init(_ name: String, _ text: String, method: UInt16 = 8, mode: UInt32? = 0o100644) {
            self.init(name, Array(text.utf8), method: method, mode: mode)
        }

        static func directory(_ name: String, mode: UInt32 = 0o40755) -> Entry {
            Entry(name, [], method: 0, mode: mode)
        }

        static func symlink(_ name: String, to target: String) -> Entry {
            Entry(name, Array(target.utf8), method: 0, mode: 0o120777)
        }
    }

    var entries: [Entry] = []
    var prefix: [UInt8] = []
    var comment: [UInt8] = []
    var trailing: [UInt8] = []
    /// Write zip64 extra fields for every entry and a zip64 end record with saturated classic fields.
    var zip64 = false

    init(_ entries: [Entry] = []) { self.entries = entries }

    func build() -> [UInt8] {
        var body: [UInt8] = []
        var central: [UInt8] = []
        var offsets: [UInt64] = []
        for entry in entries {
            let payload =
                entry.payload ?? (entry.method == 8 ? try! DeflateStream.compress(entry.data) : entry.data)
            let crc = entry.crc ?? CRC32.checksum(entry.data)
            let csize = entry.compressedSize ?? UInt64(payload.count)
            let usize = entry.uncompressedSize ?? UInt64(entry.data.count)
            let offset: UInt64
            if let shared = entry.sharesHeaderOf {
                offset = offsets[shared]
            } else {
                offset = UInt64(body.count)
                var local: [UInt8] = []
                local.u32(0x0403_4B50)
                local.u16(zip64 ? 45 : 20)
                local.u16(entry.flags)
                local.u16(entry.method)
                local.u32(0x5A21_6000)
                let hide = entry.descriptor != .none
                local.u32(hide ? 0 : crc)
                var localExtra = entry.extra
                if zip64 {
                    local.u32(0xFFFF_FFFF)
                    local.u32(0xFFFF_FFFF)
                    localExtra.u16(1)
                    localExtra.u16(16)
                    localExtra.u64(hide ? 0 : usize)
                    localExtra.u64(hide ? 0 : csize)
                } else {
                    local.u32(hide ? 0 : UInt32(truncatingIfNeeded: csize))
                    local.u32(hide ? 0 : UInt32(truncatingIfNeeded: usize))
                }
                local.u16(UInt16(entry.name.count))
                local.u16(UInt16(localExtra.count))
                body += local + entry.name + localExtra + payload
                switch entry.descriptor {
                case .none: break
                case .withSignature, .withoutSignature:
                    if entry.descriptor == .withSignature { body.u32(0x0807_4B50) }
                    body.u32(entry.descriptorCRC ?? crc)
                    if zip64 {
                        body.u64(csize)
                        body.u64(usize)
                    } else {
                        body.u32(UInt32(truncatingIfNeeded: csize))
                        body.u32(UInt32(truncatingIfNeeded: usize))
                    }
                }
            }
            offsets.append(offset)
            var header: [UInt8] = []
            header.u32(0x0201_4B50)
            header.u16(entry.unixMode == nil ? 20 : (3 << 8 | 30))
            header.u16(zip64 ? 45 : 20)
            header.u16(entry.flags | (entry.descriptor == .none ? 0 : 8))
            header.u16(entry.method)
            header.u32(0x5A21_6000)
            header.u32(crc)
            var extra = entry.extra
            if zip64 {
                header.u32(0xFFFF_FFFF)
                header.u32(0xFFFF_FFFF)
                extra.u16(1)
                extra.u16(24)
                extra.u64(usize)
                extra.u64(csize)
                extra.u64(offset)
            } else {
                header.u32(UInt32(truncatingIfNeeded: csize))
                header.u32(UInt32(truncatingIfNeeded: usize))
            }
            header.u16(UInt16(entry.name.count))
            header.u16(UInt16(extra.count))
            header.u16(0)
            header.u16(0)
            header.u16(0)
            header.u32((entry.unixMode ?? 0) << 16 | entry.dosAttributes)
            header.u32(zip64 ? 0xFFFF_FFFF : UInt32(truncatingIfNeeded: offset))
            central += header + entry.name + extra
        }
        let cdOffset = UInt64(body.count)
        var out = prefix + body + central
        let count = UInt64(entries.count)
        if zip64 {
            let recordOffset = UInt64(out.count - prefix.count)
            out.u32(0x0606_4B50)
            out.u64(44)
            out.u16(45)
            out.u16(45)
            out.u32(0)
            out.u32(0)
            out.u64(count)
            out.u64(count)
            out.u64(UInt64(central.count))
            out.u64(cdOffset)
            out.u32(0x0706_4B50)
            out.u32(0)
            out.u64(recordOffset)
            out.u32(1)
        }
        out.u32(0x0605_4B50)
        out.u16(0)
        out.u16(0)
        out.u16(zip64 ? 0xFFFF : UInt16(truncatingIfNeeded: count))
        out.u16(zip64 ? 0xFFFF : UInt16(truncatingIfNeeded: count))
        out.u32(zip64 ? 0xFFFF_FFFF : UInt32(central.count))
        out.u32(zip64 ? 0xFFFF_FFFF : UInt32(cdOffset))
        out.u16(UInt16(comment.count))
        return out + comment + trailing
    }
}

extension Array where Element == UInt8 {
    mutating func u16(_ value: UInt16) {
        append(UInt8(value & 0xFF))
        append(UInt8(value >> 8))
    }

    mutating func u32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    mutating func u64(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}
