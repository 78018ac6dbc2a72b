/// What an extraction wrote.
public struct ExtractionSummary: Sendable, Hashable {
    /// Regular files written.
    public var files = 0
    /// Directories created (explicit entries and implied parents that did not exist).
    public var directories = 0
    /// Symbolic links created.
    public var symlinks = 0
    /// Bytes of file data written.
    public var bytes: UInt64 = 0

    /// An empty summary.
    public init() {}
}
