import PrometheusMetrics

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Releases the agent's mappings of its own binary's read-only pages once start-up is over.
///
/// An idle agent's resident memory is mostly its binary's pages: every page start-up touched stays mapped, and the
/// kernel maps 64 KB around each one it faults in. Once the agent is polling, the code and read-only data that only
/// start-up used are never run again; `MADV_DONTNEED` drops them from the agent's page tables. They stay in the page
/// cache (the file is unchanged), so what the agent touches again faults back in at once, without reading the disk.
/// Only mappings that hold no private (written) page are released: the text, and the read-only data that was never
/// relocated. The relocated data (RELRO) and writable data keep every page.
enum StartupPages {
    /// Releases what ``releasable(smaps:executable:)`` finds in this process; returns the bytes released (0 off
    /// Linux, or when /proc cannot be read).
    @discardableResult
    static func release() -> Int {
        #if os(Linux)
            guard let executable = executablePath(), let smaps = ProcFile.read("/proc/self/smaps") else { return 0 }
            var released = 0
            for range in releasable(smaps: smaps, executable: executable) {
                let length = Int(range.upperBound - range.lowerBound)
                if madvise(UnsafeMutableRawPointer(bitPattern: range.lowerBound), length, MADV_DONTNEED) == 0 {
                    released += length
                }
            }
            return released
        #else
            return 0
        #endif
    }

    /// The address ranges of `executable`'s mappings in `smaps` (the text of /proc/PID/smaps) that are read-only
    /// (`r-xp`, `r--p`) and hold no private page (`Anonymous: 0 kB`): dropping them loses nothing, the file has the
    /// same bytes. A read-only mapping with private pages (RELRO: relocated, then made read-only) and every
    /// writable one are left alone.
    static func releasable(smaps: String, executable: String) -> [Range<UInt>] {
        var ranges: [Range<UInt>] = []
        var current: (range: Range<UInt>, eligible: Bool)?
        var anonymous: Int?
        func finish() {
            if let mapping = current, mapping.eligible, anonymous == 0 { ranges.append(mapping.range) }
            current = nil
            anonymous = nil
        }
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            if first.hasSuffix(":") {
                if first == "Anonymous:", fields.count >= 2 { anonymous = Int(fields[1]) }
                continue
            }
            // A mapping's first line: "start-end perms offset device inode path".
            finish()
            let bounds = first.split(separator: "-")
            guard fields.count >= 6, bounds.count == 2, let start = UInt(bounds[0], radix: 16),
                let end = UInt(bounds[1], radix: 16), start < end
            else { continue }
            let path = fields[5...].joined(separator: " ")
            let perms = fields[1]
            current = (start..<end, path == executable && (perms == "r-xp" || perms == "r--p"))
        }
        finish()
        return ranges
    }

    private static func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
