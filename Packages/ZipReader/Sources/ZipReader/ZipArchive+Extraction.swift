extension ZipArchive {
    /// Extracts every entry below `destination` (created if missing), safely; returns what was written.
    ///
    /// In three phases:
    /// 1. **Validate everything first.** Names, methods, limits, symbolic-link targets, overlapping data, and
    ///    the destination's state (an existing file without `overwrite`, a symbolic link on the way) are all
    ///    checked before anything is written; a refused archive leaves the destination untouched.
    /// 2. **Write to temporary names.** Files are streamed (constant memory, 256 KiB buffers) into
    ///    `.zipreader-*.tmp` files beside their final names, each CRC-checked. Directories are created by
    ///    walking from the destination with `openat(O_NOFOLLOW)`, so nothing is ever written through a link.
    /// 3. **Rename into place,** then create symbolic links (last, so nothing is written through them) and
    ///    apply directory modes (deepest first).
    /// If phase 2 or 3 fails (a CRC mismatch, a full disk), what this extraction created is removed:
    /// temporary files, new files and links, new directories. Files it already replaced stay replaced.
    public func extractAll(to destination: String, options: ExtractionOptions = ExtractionOptions()) throws
        -> ExtractionSummary
    {
        do {
            let buffer = ReadBuffer(size: Self.bufferSize)
            let plan = try ExtractionPlan(
                entries: entries, options: options, directoryStart: directoryStart,
                checkSupported: { try self.checkSupported($0) },
                linkTarget: { entry in
                    guard entry.uncompressedSize <= 4096 else {
                        throw ZipError(
                            .unsafe, entry: entry.name,
                            "unsafe: a symbolic link target of \(entry.uncompressedSize) bytes")
                    }
                    var bytes: [UInt8] = []
                    try self.stream(entry, buffer: buffer) { bytes.append(contentsOf: $0) }
                    if bytes.contains(0) {
                        throw ZipError(
                            .unsafe, entry: entry.name, "unsafe: the symbolic link target contains a NUL byte")
                    }
                    return String(decoding: bytes, as: UTF8.self)
                },
                dataRange: { entry in
                    let start = try self.dataStart(of: entry)
                    return entry.localHeaderOffset..<(start + entry.compressedSize)
                })
            let extractor = Extractor(archive: self, destination: destination, options: options, buffer: buffer)
            return try extractor.run(plan)
        } catch let error as ZipError {
            throw error.inArchive(path)
        }
    }
}
