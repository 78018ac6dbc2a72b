import CDigest

/// SHA-256 (FIPS 180-4), streaming: `update` with the message in as many pieces as it comes, then `finalize`.
///
/// The compression function is C (``CDigest``): the CPU's SHA extensions where it has them (x86-64 with SHA-NI), the
/// portable rounds elsewhere. Whole blocks are hashed straight from the caller's buffer; only a message's tail
/// shorter than a block is copied.
public struct SHA256: Sendable {
    /// The eight working words, host order.
    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19
    )
    /// Bytes added but not hashed yet: fewer than a block.
    private var pending: [UInt8] = []
    private var length: UInt64 = 0

    /// True when the SHA extensions do the work on this CPU (reported by the benchmarks).
    public static var isAccelerated: Bool { cdigest_sha256_accelerated() != 0 }

    /// A hasher with nothing hashed yet.
    public init() {}

    /// Adds `bytes` to the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        length &+= UInt64(bytes.count)
        var start = 0
        if !pending.isEmpty {
            let take = min(64 - pending.count, bytes.count)
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: take))
            start = take
            guard pending.count == 64 else { return }
            pending.withUnsafeBytes { compress($0.baseAddress!, blocks: 1) }
            pending.removeAll(keepingCapacity: true)
        }
        let blocks = (bytes.count - start) / 64
        if blocks > 0 { compress(base + start, blocks: blocks) }
        let tail = start + blocks * 64
        if tail < bytes.count {
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base + tail, count: bytes.count - tail))
        }
    }

    /// Adds `bytes` to the message.
    public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if let done: Void = bytes.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) {
            return done
        }
        Array(bytes).withUnsafeBytes { update($0) }
    }

    /// The 32-byte digest of everything added. The hasher should not be used afterwards.
    public mutating func finalize() -> [UInt8] {
        let bits = length &* 8
        var tail: [UInt8] = [0x80]
        let used = (pending.count + 1) % 64
        tail += [UInt8](repeating: 0, count: used <= 56 ? 56 - used : 120 - used)
        for shift in stride(from: 56, through: 0, by: -8) {
            tail.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift)))
        }
        tail.withUnsafeBytes { update($0) }
        precondition(pending.isEmpty, "SHA-256 padding must end on a block boundary")
        var out: [UInt8] = []
        out.reserveCapacity(32)
        withUnsafeBytes(of: state) { raw in
            for word in raw.bindMemory(to: UInt32.self) {
                out += [
                    UInt8(word >> 24), UInt8(truncatingIfNeeded: word >> 16), UInt8(truncatingIfNeeded: word >> 8),
                    UInt8(truncatingIfNeeded: word),
                ]
            }
        }
        return out
    }

    /// The lowercase hex digest of `bytes`.
    public static func hex<C: Collection>(of bytes: C) -> String where C.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(bytes)
        return hex(hasher.finalize())
    }

    /// `digest` as lowercase hex.
    public static func hex(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(digest.count * 2)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func compress(_ data: UnsafeRawPointer, blocks: Int) {
        withUnsafeMutableBytes(of: &state) { raw in
            cdigest_sha256_blocks(
                raw.baseAddress!.assumingMemoryBound(to: UInt32.self), data.assumingMemoryBound(to: UInt8.self),
                blocks)
        }
    }
}
