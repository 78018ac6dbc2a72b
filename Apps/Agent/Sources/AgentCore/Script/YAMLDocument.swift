import MiniYAML

/// Decodes a YAML file with MiniYAML's parser and turns every error into `FILE:LINE:COL: message`.
///
/// Decoding runs over MiniYAML's node tree (`NodeDecoder`), so errors thrown by our own validation (an
/// unknown key, a bad URL) are located by their coding path: the key's position for a key, the mapping's
/// for a missing field.
enum YAMLDocument {
    static func decode<T: Decodable>(_ type: T.Type, file: String, withWarnings: Bool) throws -> T {
        let data: [UInt8]
        do {
            data = Array(try FileSystem.read(file))
        } catch {
            throw AgentError(.invalidScript, "\(file): cannot read: \(error)")
        }
        return try decode(type, text: String(decoding: data, as: UTF8.self), fileName: file, withWarnings: withWarnings)
    }

    static func decode<T: Decodable>(_ type: T.Type, text: String, fileName: String, withWarnings: Bool) throws -> T {
        let root: YAMLNode
        do {
            root = try YAMLParser.parse(text, fileName: fileName)
        } catch {
            throw AgentError(.invalidScript, error.description)
        }
        if case .scalar = root, root.isNull {
            throw AgentError.script(file: fileName, line: root.mark.line, column: root.mark.column, "the file is empty")
        }
        let sink = WarningSink()
        do {
            return try T(from: NodeDecoder(node: root, codingPath: [], userInfo: [.prostagmaWarnings: sink]))
        } catch let error as DecodingError {
            let (path, message) = describe(error)
            let mark = locate(path: path.map { $0.intValue.map(String.init) ?? $0.stringValue }, in: root)
            throw AgentError.script(file: fileName, line: mark.line, column: mark.column, message)
        } catch let error as AgentError {
            throw error
        }
    }

    static func describe(_ error: DecodingError) -> ([any CodingKey], String) {
        switch error {
        case .dataCorrupted(let context): return (context.codingPath, context.debugDescription)
        case .keyNotFound(let key, let context):
            return (context.codingPath, "missing `\(key.stringValue)`")
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return (context.codingPath, context.debugDescription)
        @unknown default: return ([], "\(error)")
        }
    }

    /// The position of the node at `path` (keys as text, sequence indexes as decimal): for a path ending in
    /// a mapping key, the key's position; as far as the path resolves otherwise.
    static func locate(path: [String], in text: String, fileName: String) -> YAMLMark {
        guard let root = try? YAMLParser.parse(text, fileName: fileName) else { return YAMLMark(line: 1, column: 1) }
        return locate(path: path, in: root)
    }

    static func locate(path: [String], in root: YAMLNode) -> YAMLMark {
        var node = root
        for (i, component) in path.enumerated() {
            switch node {
            case .mapping(let pairs, _):
                guard let pair = pairs.first(where: { $0.key.text == component }) else { return node.mark }
                if i == path.count - 1 { return pair.key.mark }
                node = pair.value
            case .sequence(let items, _):
                guard let index = Int(component), items.indices.contains(index) else { return node.mark }
                node = items[index]
            case .scalar:
                return node.mark
            }
        }
        return node.mark
    }
}
