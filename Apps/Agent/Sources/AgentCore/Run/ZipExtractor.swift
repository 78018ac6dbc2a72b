import ZipReader

/// `unzip` steps through ZipReader's safe extraction (nothing lands outside `dest`, zip bombs and links
/// pointing out are refused before anything is written, files are renamed into place), on a thread of its
/// own so the cooperative pool is never blocked by disk I/O.
///
/// Cancelling the calling task (the step's timeout, or the end of the shutdown grace period) stops the
/// extraction at the next entry or 256 KiB chunk; it then puts `dest` back as it was before returning
/// (files it created removed, files it replaced restored) and throws `CancellationError`.
public struct ZipExtractor: ArchiveExtracting {
    /// Limits passed to ZipReader (the overwrite flag comes from the step).
    public var options: ExtractionOptions

    /// An extractor with ZipReader's default limits.
    public init(options: ExtractionOptions = ExtractionOptions()) { self.options = options }

    /// See `ArchiveExtracting.extract`.
    public func extract(src: String, dest: String, overwrite: Bool) async throws -> Int {
        var options = self.options
        options.overwrite = overwrite
        let chosen = options
        return try await BlockingThread.run { cancellation in
            let archive = try ZipArchive(path: src)
            let summary = try archive.extractAll(to: dest, options: chosen) { cancellation.isCancelled }
            return summary.files + summary.directories + summary.symlinks
        }
    }
}
