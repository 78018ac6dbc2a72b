import CZlib

/// Pure decision whether an entry is stored gzip, from its first bytes.
enum CompressionDecision {
    /// True when `probe` compresses at `level` to at most `threshold` of its size.
    ///
    /// An empty probe is stored raw: gzip framing would only add bytes.
    static func shouldCompress(probe: UnsafeRawBufferPointer, level: Int32, threshold: Double) throws -> Bool {
        guard !probe.isEmpty else { return false }
        let stream = try DeflateStream(format: .raw, level: level)
        var produced = 0
        try stream.compress(probe) { produced += $0.count }
        try stream.finish { produced += $0.count }
        // gzip adds an 18-byte header and trailer to the raw deflate size.
        return Double(produced + 18) <= Double(probe.count) * threshold
    }
}
