/// A parsed YAML node: a scalar, a sequence, or a mapping that keeps its source order.
///
/// Every node carries the position where it starts. An empty value (`key:` with nothing after it)
/// is a plain scalar with empty text, which resolves to null like `~` and `null`.
public indirect enum YAMLNode: Sendable {
    /// A scalar: its text after quoting, escapes and folding were applied, and its style.
    case scalar(String, YAMLScalarStyle, YAMLMark)
    /// A sequence of nodes.
    case sequence([YAMLNode], YAMLMark)
    /// A mapping as its (key, value) pairs in source order; keys are unique.
    case mapping([(key: YAMLNode, value: YAMLNode)], YAMLMark)

    /// Where the node starts.
    public var mark: YAMLMark {
        switch self {
        case .scalar(_, _, let mark), .sequence(_, let mark), .mapping(_, let mark): return mark
        }
    }

    /// The scalar's value resolved by the YAML 1.2 core schema, or nil for a collection.
    public var scalarValue: YAMLScalarValue? {
        if case .scalar(let text, let style, _) = self { return YAMLScalarValue(text: text, style: style) }
        return nil
    }

    /// True for a scalar that resolves to null (`null`, `~`, or nothing).
    public var isNull: Bool { scalarValue == .null }

    /// The scalar's text (its source text for plain scalars such as `1` or `true`), or nil for a collection.
    public var text: String? {
        if case .scalar(let text, _, _) = self { return text }
        return nil
    }

    /// A short name of the node's kind for messages: "a string", "an integer", "a mapping", ...
    public var kindDescription: String {
        switch self {
        case .sequence: return "a sequence"
        case .mapping: return "a mapping"
        case .scalar:
            switch scalarValue {
            case .null: return "null"
            case .bool: return "a boolean"
            case .int, .bigInt: return "an integer"
            case .double: return "a floating-point number"
            case .string, nil: return "a string"
            }
        }
    }

    /// For a mapping, the value of the first key whose text equals `key`.
    public subscript(key: String) -> YAMLNode? {
        guard case .mapping(let pairs, _) = self else { return nil }
        return pairs.first { $0.key.text == key }?.value
    }
}

extension YAMLNode: Equatable {
    /// Structural equality of text, styles and positions.
    public static func == (lhs: YAMLNode, rhs: YAMLNode) -> Bool {
        switch (lhs, rhs) {
        case (.scalar(let a, let s, let m), .scalar(let b, let t, let n)): return a == b && s == t && m == n
        case (.sequence(let a, let m), .sequence(let b, let n)): return a == b && m == n
        case (.mapping(let a, let m), .mapping(let b, let n)):
            return m == n && a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }
}
