/// The one error the system-test support throws: what went wrong, and where to look (a log file, a URL).
public struct SystemTestError: Error, Sendable, CustomStringConvertible {
    /// What went wrong and where.
    public let description: String

    /// Makes an error with a message that says what and where.
    public init(_ description: String) {
        self.description = description
    }
}
