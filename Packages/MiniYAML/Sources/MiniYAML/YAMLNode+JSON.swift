/// Rendering a node as JSON text (what `miniyaml` prints).
extension YAMLNode {
    /// The node as JSON, indented by two spaces, scalars resolved by the core schema.
    ///
    /// Mapping keys become strings (a plain `1` key becomes `"1"`). JSON has no infinity or NaN, so
    /// `.inf`, `-.inf` and `.nan` are written as the strings `".inf"`, `"-.inf"` and `".nan"`.
    public func jsonText() -> String {
        var out = ""
        writeJSON(to: &out, indent: "")
        return out
    }

    private func writeJSON(to out: inout String, indent: String) {
        switch self {
        case .scalar:
            out += Self.jsonScalar(scalarValue ?? .null)
        case .sequence(let items, _):
            if items.isEmpty {
                out += "[]"
                return
            }
            out += "[\n"
            let inner = indent + "  "
            for (index, item) in items.enumerated() {
                out += inner
                item.writeJSON(to: &out, indent: inner)
                out += index + 1 < items.count ? ",\n" : "\n"
            }
            out += indent + "]"
        case .mapping(let pairs, _):
            if pairs.isEmpty {
                out += "{}"
                return
            }
            out += "{\n"
            let inner = indent + "  "
            for (index, pair) in pairs.enumerated() {
                out += inner + Self.jsonString(pair.key.jsonKey) + ": "
                pair.value.writeJSON(to: &out, indent: inner)
                out += index + 1 < pairs.count ? ",\n" : "\n"
            }
            out += indent + "}"
        }
    }

    /// The text a key has as a JSON object key.
    var jsonKey: String {
        switch scalarValue {
        case .string(let text): return text
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .bigInt(let digits): return digits
        case .double(let value): return Self.jsonDouble(value)
        case nil: return text ?? ""
        }
    }

    static func jsonScalar(_ value: YAMLScalarValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .bigInt(let digits): return digits
        case .double(let value): return value.isFinite ? jsonDouble(value) : jsonString(jsonDouble(value))
        case .string(let text): return jsonString(text)
        }
    }

    static func jsonDouble(_ value: Double) -> String {
        if value.isNaN { return ".nan" }
        if value.isInfinite { return value < 0 ? "-.inf" : ".inf" }
        return "\(value)"
    }

    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
                    || scalar.value >= 0xFFFE && scalar.value <= 0xFFFF
                {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
