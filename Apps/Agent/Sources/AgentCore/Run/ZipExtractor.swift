import ZipReader

/// `unzip` steps through ZipReader's safe extraction (nothing lands outside `dest`, zip bombs and links
/// pointing out are refused before anything is written, files are renamed into place), on a thread of its
/// own so the cooperative pool is never blocked by disk I/O.
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
        let result: Result<Int, any Error> = await withCheckedContinuation { continuation in
            BlockingThread.start {
                do {
                    let archive = try ZipArchive(path: src)
                    let summary = try archive.extractAll(to: dest, options: chosen)
                    continuation.resume(returning: .success(summary.files + summary.directories + summary.symlinks))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}
