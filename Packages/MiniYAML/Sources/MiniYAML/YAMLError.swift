/// The one error MiniYAML throws: a parse error, an unsupported construct, or a decoding failure.
///
/// `description` reads `FILE:LINE:COL: message`, with 1-based line and column (columns count Unicode
/// scalars). Out-of-subset constructs (anchors, aliases, tags, complex keys, directives, several
/// documents) have a message containing the word "unsupported".
public struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file name given to the parser or decoder (`<input>` when none was given).
    public var fileName: String
    /// The 1-based line of the problem.
    public var line: Int
    /// The 1-based column of the problem.
    public var column: Int
    /// What went wrong, without the position prefix.
    public var message: String

    /// Creates an error at a position.
    public init(fileName: String, line: Int, column: Int, message: String) {
        self.fileName = fileName
        self.line = line
        self.column = column
        self.message = message
    }

    /// `FILE:LINE:COL: message`.
    public var description: String { "\(fileName):\(line):\(column): \(message)" }
}
