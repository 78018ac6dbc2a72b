/// A script field's text with `${params.NAME}` references to the release's params. Pure.
///
/// The syntax, kept small so a URL or path with a `$` in it still means what it says:
/// - `${params.NAME}` is replaced by the param's value (NAME follows ``ReleaseRules/isValidParamName(_:)``);
/// - `$${` is a literal `${` (so `$${params.x}` is the text `${params.x}`);
/// - any other `${` is an error (a misspelt reference such as `${param.x}` must not reach a server as text);
/// - a `$` not followed by `{` is kept as it is.
public struct ParamTemplate: Sendable, Equatable {
    /// One piece of the text.
    public enum Part: Sendable, Equatable {
        /// Text kept as written (escapes already applied).
        case literal(String)
        /// A reference to the param with this name.
        case param(String)
    }

    /// The pieces, in order.
    public var parts: [Part]

    /// Why a text is not a valid template: the offending piece and what is wrong with it.
    public struct Malformed: Error, Sendable, Equatable, CustomStringConvertible {
        /// The reference as written (up to its `}` or the end of the text).
        public var reference: String
        /// What is wrong.
        public var reason: String

        /// `reference`: reason.
        public var description: String { "malformed param reference `\(reference)`: \(reason)" }
    }

    /// Parses `text`; throws for a `${` that does not start a well-formed `${params.NAME}`.
    public init(parsing text: String) throws(Malformed) {
        var parts: [Part] = []
        var literal = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            literal += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            if after.hasPrefix("${") {
                literal += "${"
                rest = after.dropFirst(2)
                continue
            }
            guard after.hasPrefix("{") else {
                literal += "$"
                rest = after
                continue
            }
            let close = after.firstIndex(of: "}")
            let written = close.map { String(rest[dollar...$0]) } ?? String(rest[dollar...])
            guard after.hasPrefix("{params.") else {
                throw Malformed(
                    reference: Self.shortened(written),
                    reason: "a reference is written `${params.NAME}`; write `$${` for a literal `${`")
            }
            guard let close else {
                throw Malformed(reference: Self.shortened(written), reason: "it has no closing `}`")
            }
            let name = String(after[after.index(after.startIndex, offsetBy: 8)..<close])
            guard ReleaseRules.isValidParamName(name) else {
                throw Malformed(
                    reference: Self.shortened(written),
                    reason: name.isEmpty
                        ? "the param name is missing"
                        : "a param name must match [A-Za-z_][A-Za-z0-9_]{0,63}")
            }
            if !literal.isEmpty { parts.append(.literal(literal)) }
            literal = ""
            parts.append(.param(name))
            rest = after[after.index(after: close)...]
        }
        literal += rest
        if !literal.isEmpty || parts.isEmpty { parts.append(.literal(literal)) }
        self.parts = parts
    }

    /// The names of the params referenced, in order of first use.
    public var params: [String] {
        var seen: [String] = []
        for case .param(let name) in parts where !seen.contains(name) { seen.append(name) }
        return seen
    }

    /// Whether the text references any param (a text without one is used as it is, escapes applied).
    public var usesParams: Bool { parts.contains { if case .param = $0 { true } else { false } } }

    /// The text with every reference replaced from `params`; nil names the first param missing from them.
    public func render(_ params: [String: String]) -> Result<String, MissingParam> {
        var out = ""
        for part in parts {
            switch part {
            case .literal(let text): out += text
            case .param(let name):
                guard let value = params[name] else { return .failure(MissingParam(name: name)) }
                out += value
            }
        }
        return .success(out)
    }

    /// A param a template references that the release lacks.
    public struct MissingParam: Error, Sendable, Equatable {
        /// The param's name.
        public var name: String
    }

    /// A reference as shown in an error, cut short when long.
    private static func shortened(_ text: String) -> String {
        text.count > 80 ? String(text.prefix(80)) + "…" : text
    }
}
