@testable import MiniYAML

extension YAMLNode {
    /// The node as the suite's in.json would write it.
    var json: JSONValue {
        switch self {
        case .scalar:
            switch scalarValue ?? .null {
            case .null: return .null
            case .bool(let b): return .bool(b)
            case .int(let v): return .number(Double(v))
            case .bigInt(let digits): return .number(Double(digits)!)
            case .double(let d): return .number(d)
            case .string(let s): return .string(s)
            }
        case .sequence(let items, _): return .array(items.map(\.json))
        case .mapping(let pairs, _): return .object(pairs.map { ($0.key.jsonKey, $0.value.json) })
        }
    }

    /// The node as the suite's test.event lines (without anchors, tags or collection-style markers).
    var events: [String] {
        switch self {
        case .scalar(let text, let style, _):
            let indicator: String
            switch style {
            case .plain: indicator = ":"
            case .singleQuoted: indicator = "'"
            case .doubleQuoted: indicator = "\""
            case .literal: indicator = "|"
            case .folded: indicator = ">"
            }
            return ["=VAL " + indicator + Self.escapeEvent(text)]
        case .sequence(let items, _): return ["+SEQ"] + items.flatMap(\.events) + ["-SEQ"]
        case .mapping(let pairs, _): return ["+MAP"] + pairs.flatMap { $0.key.events + $0.value.events } + ["-MAP"]
        }
    }

    static func escapeEvent(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x5C: out += "\\\\"
            case 0x00: out += "\\0"
            case 0x07: out += "\\a"
            case 0x08: out += "\\b"
            case 0x09: out += "\\t"
            case 0x0A: out += "\\n"
            case 0x0B: out += "\\v"
            case 0x0C: out += "\\f"
            case 0x0D: out += "\\r"
            case 0x1B: out += "\\e"
            case 0x85: out += "\\N"
            case 0xA0: out += "\\_"
            case 0x2028: out += "\\L"
            case 0x2029: out += "\\P"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// Normalises the suite's test.event to what `YAMLNode.events` produces for one document.
func normalizedEvents(_ text: String) -> [String] {
    text.split(separator: "\n").compactMap { line -> String? in
        if line == "+STR" || line == "-STR" || line.hasPrefix("+DOC") || line.hasPrefix("-DOC") { return nil }
        if line.hasPrefix("+MAP") { return "+MAP" }
        if line.hasPrefix("+SEQ") { return "+SEQ" }
        return String(line)
    }
}
