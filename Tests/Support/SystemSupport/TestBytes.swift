import Foundation

/// Artifact bytes for scenarios: reproducible from a label, different for every label, and such that no text
/// conversion could leave them unchanged (so "byte-exact" means something).
public enum TestBytes {
    /// `size` pseudo-random bytes seeded by `label` (FNV-1a of its UTF-8, then xorshift32).
    public static func make(_ label: String, size: Int = 200_000) -> Data {
        var state = label.utf8.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 } | 1
        return Data(
            (0..<size).map { _ in
                state ^= state << 13
                state ^= state >> 17
                state ^= state << 5
                return UInt8(truncatingIfNeeded: state)
            })
    }
}
