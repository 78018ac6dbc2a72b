import MiniYAML

/// Decodes a YAML file with MiniYAML and turns every error into `FILE:LINE:COL: message`.
///
/// Errors point at keys (`YAMLError.keyMark`), where an operator looks: the key of a bad value, an unknown
/// key, the key of a mapping that lacks a field.
enum YAMLDocument {
    static func decode<T: Decodable>(_ type: T.Type, file: String, withWarnings: Bool) throws -> T {
        try decode(type, text: try read(file), fileName: file, withWarnings: withWarnings)
    }

    /// The text of `file`, or a script error naming it.
    static func read(_ file: String) throws -> String {
        do {
            return String(decoding: try FileSystem.read(file), as: UTF8.self)
        } catch {
            throw AgentError(.invalidScript, "\(file): cannot read: \(error)")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, text: String, fileName: String, withWarnings: Bool) throws -> T {
        try decodeWithRoot(type, text: text, fileName: fileName).value
    }

    /// Decodes `type` from `text` and returns the parsed document too, for locating what decoding recorded by path.
    static func decodeWithRoot<T: Decodable>(_ type: T.Type, text: String, fileName: String) throws -> (
        value: T, root: YAMLNode
    ) {
        let root: YAMLNode
        do {
            root = try YAMLParser.parse(text, fileName: fileName)
        } catch {
            throw AgentError(.invalidScript, error.description)
        }
        if case .scalar = root, root.isNull {
            throw AgentError.script(file: fileName, line: root.mark.line, column: root.mark.column, "the file is empty")
        }
        let decoder = YAMLDecoder(userInfo: [.prostagmaWarnings: WarningSink()])
        do {
            return (try decoder.decode(type, from: root, fileName: fileName), root)
        } catch {
            throw AgentError.script(
                file: fileName, line: error.keyMark.line, column: error.keyMark.column, error.reason)
        }
    }

    /// The position of the node at `path` (keys as text, sequence indexes as decimal): for a path ending in
    /// a mapping key, the key's position; as far as the path resolves otherwise.
    static func locate(path: [String], in text: String, fileName: String) -> YAMLMark {
        guard let root = try? YAMLParser.parse(text, fileName: fileName) else { return YAMLMark(line: 1, column: 1) }
        return root.locate(codingPath: path.map { AnyKey($0) })
    }
}
