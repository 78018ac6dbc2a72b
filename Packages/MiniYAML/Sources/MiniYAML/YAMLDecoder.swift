/// Decodes `Decodable` values from YAML text or from a parsed `YAMLNode`.
///
/// Scalars decode by the YAML 1.2 core schema: `Bool` needs a plain `true`/`false`; every integer type
/// (`Int`, `Int8` ... `Int64`, `UInt` ... `UInt64`) a plain integer that fits it; `Float` and `Double` a
/// plain integer or float whose magnitude they can hold. A `String` takes any scalar's text except null (a
/// plain `1`, `0755` or `true` decodes as `"1"`, `"0755"`, `"true"`, its source text). Optionals decode
/// nil from null or an absent key. Keyed containers list `allKeys` in source order. Every failure is a
/// `YAMLError` at the node's line:column whose message names the key path, e.g. `steps[2].download.url`,
/// and whose `keyMark` and `reason` locate and describe it by its key.
public struct YAMLDecoder: Sendable {
    /// Handed to every `Decoder` of a decoding, nested ones included, as its `userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable]

    /// Creates a decoder whose decoders carry `userInfo`.
    public init(userInfo: [CodingUserInfoKey: any Sendable] = [:]) {
        self.userInfo = userInfo
    }

    /// Parses `text` and decodes `type` from its document.
    public func decode<T: Decodable>(_ type: T.Type, from text: String, fileName: String = "<input>") throws(YAMLError)
        -> T
    {
        let node = try YAMLParser.parse(text, fileName: fileName)
        return try decode(type, from: node, fileName: fileName)
    }

    /// Decodes `type` from an already-parsed node; `fileName` labels errors.
    public func decode<T: Decodable>(_ type: T.Type, from node: YAMLNode, fileName: String = "<input>")
        throws(YAMLError) -> T
    {
        do {
            return try T(from: NodeDecoder(node: node, codingPath: [], userInfo: userInfo))
        } catch let error as YAMLError {
            throw error
        } catch let error as DecodingError {
            throw Self.convert(error, root: node, fileName: fileName)
        } catch {
            throw YAMLError(
                fileName: fileName, line: node.mark.line, column: node.mark.column, message: "\(error)")
        }
    }

    /// Turns a `DecodingError` (ours or one thrown by a type's `init(from:)`) into a positioned `YAMLError`.
    static func convert(_ error: DecodingError, root: YAMLNode, fileName: String) -> YAMLError {
        let context: DecodingError.Context
        let what: String
        switch error {
        case .typeMismatch(_, let c):
            context = c
            what = c.debugDescription
        case .valueNotFound(_, let c):
            context = c
            what = c.debugDescription
        case .keyNotFound(let key, let c):
            context = c
            what = "missing key '\(key.stringValue)'"
        case .dataCorrupted(let c):
            context = c
            what = c.debugDescription
        @unknown default:
            return YAMLError(fileName: fileName, line: root.mark.line, column: root.mark.column, message: "\(error)")
        }
        let node = root.node(at: context.codingPath)
        let path = Self.describe(context.codingPath)
        return YAMLError(
            fileName: fileName, line: node.mark.line, column: node.mark.column, message: "at \(path): \(what)",
            reason: what, keyMark: root.locate(codingPath: context.codingPath))
    }

    /// `steps[2].download.url`, or `(top level)` for an empty path.
    static func describe(_ path: [any CodingKey]) -> String {
        var out = ""
        for key in path {
            if let index = key.intValue, key is NodeUnkeyedContainer.IndexKey || key.stringValue == "Index \(index)" {
                out += "[\(index)]"
            } else {
                out += out.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return out.isEmpty ? "(top level)" : out
    }
}
