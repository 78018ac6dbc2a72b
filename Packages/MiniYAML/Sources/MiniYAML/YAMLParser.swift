/// Parses one YAML document of the supported subset into a `YAMLNode`.
///
/// Supported: block mappings and sequences, plain/single/double-quoted scalars (multi-line, all escapes),
/// `|` and `>` block scalars with chomping and indentation indicators, comments, flow collections, and
/// `---`/`...` around a single document. Anything else is rejected with a `YAMLError`; constructs outside
/// the subset (anchors, aliases, tags, `?` keys, complex keys, directives, several documents) say
/// "unsupported". The parser never guesses: input it cannot read exactly as YAML 1.2 does is an error.
public enum YAMLParser {
    /// Parses `text`; `fileName` only labels errors.
    public static func parse(_ text: String, fileName: String = "<input>") throws(YAMLError) -> YAMLNode {
        var parser = Parser(bytes: Array(text.utf8), fileName: fileName)
        return try parser.parseStream()
    }

    /// Parses UTF-8 bytes; invalid UTF-8 is an error.
    public static func parse(bytes: [UInt8], fileName: String = "<input>") throws(YAMLError) -> YAMLNode {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw YAMLError(fileName: fileName, line: 1, column: 1, message: "input is not valid UTF-8")
        }
        return try parse(text, fileName: fileName)
    }
}
