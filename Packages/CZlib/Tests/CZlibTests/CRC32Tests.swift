import CZlib
import Testing

@Suite(.timeLimit(.minutes(1))) struct CRC32Tests {
    // Reference values: the standard check value for "123456789", and values from Python's zlib.crc32.
    @Test(arguments: [
        ("", UInt32(0)),
        ("123456789", UInt32(0xCBF4_3926)),
        ("The quick brown fox jumps over the lazy dog", UInt32(0x414F_A339)),
        ("a", UInt32(0xE8B7_BE43)),
    ])
    func knownValues(text: String, expected: UInt32) {
        #expect(CRC32.checksum(Array(text.utf8)) == expected)
    }

    @Test func incrementalUpdatesEqualOneShot() {
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var crc = CRC32()
        var index = 0
        for size in [1, 7, 4096, 65_536] where index < bytes.count {
            let end = min(bytes.count, index + size)
            crc.update(bytes[index..<end])
            index = end
        }
        crc.update(bytes[index...])
        #expect(crc.value == CRC32.checksum(bytes))
        #expect(crc.value != 0)
    }
}
