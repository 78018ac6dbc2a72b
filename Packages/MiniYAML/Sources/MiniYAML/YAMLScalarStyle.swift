/// How a scalar was written. Only plain scalars are resolved by the core schema; all others are strings.
public enum YAMLScalarStyle: Sendable, Hashable {
    /// Unquoted text (also an empty value).
    case plain
    /// `'text'`.
    case singleQuoted
    /// `"text"` with escapes.
    case doubleQuoted
    /// `|` block scalar.
    case literal
    /// `>` block scalar.
    case folded
}
