import CZlibSystem

/// A running CRC-32 (ISO 3309, as in zip and gzip), computed by zlib.
///
/// Feed bytes in any number of `update` calls; `value` is the checksum of everything fed so far.
public struct CRC32: Sendable, Hashable {
    /// The checksum of the bytes fed so far (0 for none).
    public private(set) var value: UInt32 = 0

    /// Starts a checksum over no bytes.
    public init() {}

    /// Adds `bytes` to the checksum.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var base = bytes.baseAddress?.assumingMemoryBound(to: Bytef.self) else { return }
        var remaining = bytes.count
        var crc = UInt(value)
        // zlib takes a 32-bit length; feed large buffers in slices.
        while remaining > 0 {
            let chunk = min(remaining, Int(UInt32.max >> 1))
            crc = crc32(crc, base, uInt(chunk))
            base += chunk
            remaining -= chunk
        }
        value = UInt32(truncatingIfNeeded: crc)
    }

    /// Adds `bytes` to the checksum.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done == nil {
            Array(bytes).withUnsafeBytes { update($0) }
        }
    }

    /// The CRC-32 of `bytes`.
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc = CRC32()
        crc.update(bytes)
        return crc.value
    }
}
