/// The one error MiniYAML throws: a parse error, an unsupported construct, or a decoding failure.
///
/// `description` reads `FILE:LINE:COL: message`, with 1-based line and column (columns count Unicode
/// scalars). Out-of-subset constructs (anchors, aliases, tags, complex keys, directives, several
/// documents) have a message containing the word "unsupported".
///
/// A decoding failure has two positions: `line`:`column` is the node the failure is about (the bad value,
/// the mapping that lacks a key), and `keyMark` is the key that names it, which is where an operator
/// reading a configuration file looks first. A tool that prints its own messages can print
/// `fileName:keyMark: reason`.
public struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file name given to the parser or decoder (`<input>` when none was given).
    public var fileName: String
    /// The 1-based line of the problem.
    public var line: Int
    /// The 1-based column of the problem.
    public var column: Int
    /// What went wrong, without the position prefix; for a decoding failure it starts with the key path
    /// (`at steps[0].download.cache: expected true or false, found a string`).
    public var message: String
    /// What went wrong without the position or the key path (`expected true or false, found a string`);
    /// the same as `message` for a parse error.
    public var reason: String
    /// Where the failure's key is written, as `YAMLNode.locate(codingPath:)` finds it: the key of a bad
    /// value, an unknown key itself, the key of a mapping that lacks a field. It is `line`:`column` when
    /// there is no such key (a parse error, a sequence item, the whole document).
    public var keyMark: YAMLMark

    /// Creates an error at a position; `reason` defaults to `message` and `keyMark` to `line`:`column`.
    public init(
        fileName: String, line: Int, column: Int, message: String, reason: String? = nil, keyMark: YAMLMark? = nil
    ) {
        self.fileName = fileName
        self.line = line
        self.column = column
        self.message = message
        self.reason = reason ?? message
        self.keyMark = keyMark ?? YAMLMark(line: line, column: column)
    }

    /// `FILE:LINE:COL: message`.
    public var description: String { "\(fileName):\(line):\(column): \(message)" }
}
