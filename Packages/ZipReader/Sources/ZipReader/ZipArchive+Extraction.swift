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
    /// If phase 2 or 3 fails (a CRC mismatch, a full disk), the destination is put back as it was: temporary
    /// files, new files and links and new directories are removed, files and links it replaced are put back
    /// (each is kept under a temporary name until the end), directory modes are restored.
    ///
    /// `isCancelled` is asked between entries and between chunks of an entry (every 256 KiB); once it returns
    /// true, extraction stops, undoes what it did as above and throws `ZipError` of kind `cancelled`. It is
    /// called on the extracting thread, so it must be cheap and thread-safe (e.g. an atomic flag).
    public func extractAll(
        to destination: String, options: ExtractionOptions = ExtractionOptions(), isCancelled: () -> Bool = { false }
    ) throws -> ExtractionSummary {
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
                    if isCancelled() { throw ZipError(.cancelled, "the extraction was stopped before writing") }
                    let start = try self.dataStart(of: entry)
                    return entry.localHeaderOffset..<(start + entry.compressedSize)
                })
            return try withoutActuallyEscaping(isCancelled) { isCancelled in
                let extractor = Extractor(
                    archive: self, destination: destination, options: options, buffer: buffer,
                    isCancelled: isCancelled)
                return try extractor.run(plan)
            }
        } catch let error as ZipError {
            throw error.inArchive(path)
        }
    }
}
