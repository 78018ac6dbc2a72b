/// Settings and limits for `ZipArchive.extractAll(to:options:)`.
///
/// The defaults suit deploying application archives as root: nothing existing is replaced unless
/// `overwrite` is set, and an archive that would expand past 8 GiB, more than a million entries, or an
/// entry bigger than 1 MiB that expands more than 200 times its compressed size (a zip bomb; deflate
/// peaks near 1,032:1) is refused before anything is written.
public struct ExtractionOptions: Sendable, Hashable {
    /// The default for `maxTotalBytes`: 8 GiB.
    public static let defaultMaxTotalBytes: UInt64 = 8 << 30
    /// The default for `maxRatio`: 200.
    public static let defaultMaxRatio: UInt64 = 200
    /// The default for `maxEntries`: 1,000,000.
    public static let defaultMaxEntries = 1_000_000
    /// Entries up to this many uncompressed bytes (1 MiB) are exempt from the ratio limit.
    public static let defaultRatioThreshold: UInt64 = 1 << 20

    /// Replace existing files and symbolic links at the entries' paths (never a directory with a file).
    public var overwrite: Bool
    /// The most bytes the whole archive may expand to (sum of declared uncompressed sizes).
    public var maxTotalBytes: UInt64
    /// The most an entry above `ratioThreshold` may expand relative to its compressed size.
    public var maxRatio: UInt64
    /// Entries at most this big are not checked against `maxRatio`.
    public var ratioThreshold: UInt64
    /// The most entries an archive may have.
    public var maxEntries: Int

    /// Options with the given values; every limit has a default.
    public init(
        overwrite: Bool = false,
        maxTotalBytes: UInt64 = ExtractionOptions.defaultMaxTotalBytes,
        maxRatio: UInt64 = ExtractionOptions.defaultMaxRatio,
        ratioThreshold: UInt64 = ExtractionOptions.defaultRatioThreshold,
        maxEntries: Int = ExtractionOptions.defaultMaxEntries
    ) {
        self.overwrite = overwrite
        self.maxTotalBytes = maxTotalBytes
        self.maxRatio = maxRatio
        self.ratioThreshold = ratioThreshold
        self.maxEntries = maxEntries
    }
}
