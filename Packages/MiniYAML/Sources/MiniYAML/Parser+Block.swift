/// Block collections: mappings, sequences, and the dispatch of a block node.
extension Parser {
    private static let dash = UInt8(ascii: "-")
    private static let colon = UInt8(ascii: ":")

    var atSequenceEntry: Bool { c == Self.dash && Self.isBlank(at(i + 1)) }

    /// Parses the node after an indicator (or at the top), indented more than `parentIndent`.
    mutating func parseBlockNode(parentIndent n: Int, context: Context, afterIndicator: Bool) throws(YAMLError)
        -> YAMLNode
    {
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maxDepth { throw error("nesting deeper than \(Self.maxDepth) levels", at: i) }
        let emptyAt = i
        let crossed = try skipToContent()
        let inline = afterIndicator && !crossed
        if c == 0 || atDocumentMarker { return emptyNode(at: emptyAt) }
        let col = inline ? i - lineStart : leadingSpaces
        // A tab may separate a scalar or flow collection from its indentation or indicator, but it
        // cannot indent a block collection.
        let tabBefore = inline ? b[emptyAt..<i].contains(0x09) : tabBeforeContent
        if !inline && col <= n {
            if context == .mapValue && col == n && atSequenceEntry {
                if tabBefore { throw error("a tab cannot indent a block sequence", at: i) }
                return try parseBlockSequence(indent: col)
            }
            return emptyNode(at: emptyAt)
        }
        let start = i
        switch c {
        case Self.dash where Self.isBlank(at(i + 1)):
            if tabBefore { throw error("a tab cannot indent a block sequence", at: i) }
            if inline && context != .seqEntry {
                throw error(
                    context == .document
                        ? "a block sequence cannot start on the '---' line"
                        : "a block sequence cannot start on the same line as its mapping key", at: i)
            }
            return try parseBlockSequence(indent: col)
        case UInt8(ascii: "|"), UInt8(ascii: ">"):
            return try parseBlockScalar(parentIndent: n)
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            let node = try parseFlowCollection(parentIndent: n)
            while Self.isWS(c) { i += 1 }
            if c == Self.colon { throw unsupported("complex mapping key (a flow collection used as a key)", at: start) }
            try expectLineEnd()
            return node
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            let (node, multiLine) = try parseQuoted(parentIndent: n)
            while Self.isWS(c) { i += 1 }
            if c == Self.colon && Self.isBlank(at(i + 1)) {
                if multiLine { throw error("an implicit mapping key must be on a single line", at: start) }
                try checkMappingMayStart(inline: inline, context: context, tabBefore: tabBefore, at: start)
                return try parseBlockMapping(indent: col, firstKey: node)
            }
            try expectLineEnd()
            return node
        default:
            try checkPlainStart(flow: false)
            let line = scanPlainLine(flow: false)
            if line.keyIndicator {
                try checkMappingMayStart(inline: inline, context: context, tabBefore: tabBefore, at: start)
                let key = YAMLNode.scalar(text(line.start, line.end), .plain, mark(start))
                return try parseBlockMapping(indent: col, firstKey: key)
            }
            return try finishPlain(line, parentIndent: n, flow: false)
        }
    }

    private func checkMappingMayStart(inline: Bool, context: Context, tabBefore: Bool, at offset: Int)
        throws(YAMLError)
    {
        if tabBefore && (context == .seqEntry || !inline) {
            throw error("a tab cannot indent a block mapping", at: offset)
        }
        guard inline && context != .seqEntry else { return }
        throw error(
            context == .document
                ? "a block mapping cannot start on the '---' line"
                : "mapping values are not allowed here (a second ': ' on one line; quote the value)", at: offset)
    }

    /// Rejects the characters that cannot start a plain scalar (indicators and reserved characters).
    mutating func checkPlainStart(flow: Bool) throws(YAMLError) {
        let next = at(i + 1)
        let ends = Self.isBlank(next) || (flow && Self.isFlowIndicator(next))
        switch c {
        case UInt8(ascii: "&"): throw unsupported("anchor (&)", at: i)
        case UInt8(ascii: "*"): throw unsupported("alias (*)", at: i)
        case UInt8(ascii: "!"): throw unsupported("tag (!)", at: i)
        case UInt8(ascii: "?") where ends: throw unsupported("complex mapping key ('? ')", at: i)
        case Self.colon where ends: throw unsupported("mapping entry with an empty key", at: i)
        case UInt8(ascii: "%"):
            if i == lineStart { throw unsupported("directive (%)", at: i) }
            throw error("a plain scalar cannot start with '%'; quote it", at: i)
        case UInt8(ascii: "@"), UInt8(ascii: "`"):
            throw error("\(describe(c)) is reserved and cannot start a plain scalar; quote it", at: i)
        case Self.dash where ends:
            throw error("a block sequence entry is not allowed here", at: i)
        case UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: "["), UInt8(ascii: "{"),
            UInt8(ascii: "#"), UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "\""), UInt8(ascii: "'"):
            throw error("unexpected \(describe(c))", at: i)
        case 0, 10, 0x20, 0x09:
            throw error("expected a value, found \(describe(c))", at: i)
        default: return
        }
    }

    /// A block mapping at `indent`; `i` is at the ':' after `firstKey`.
    mutating func parseBlockMapping(indent m: Int, firstKey: YAMLNode) throws(YAMLError) -> YAMLNode {
        var pairs: [(key: YAMLNode, value: YAMLNode)] = []
        var seen = Set<String>()
        var key = firstKey
        while true {
            i += 1
            let value = try parseBlockNode(parentIndent: m, context: .mapValue, afterIndicator: true)
            try add(key: key, value: value, to: &pairs, seen: &seen)
            _ = try skipToContent()
            if c == 0 || atDocumentMarker { break }
            let col = leadingSpaces
            if col < m { break }
            if tabBeforeContent { throw error("a tab cannot indent a mapping key", at: i) }
            if col > m { throw error("bad indentation: expected a mapping key at column \(m + 1)", at: i) }
            key = try parseBlockKey()
        }
        return .mapping(pairs, firstKey.mark)
    }

    func add(
        key: YAMLNode, value: YAMLNode, to pairs: inout [(key: YAMLNode, value: YAMLNode)], seen: inout Set<String>
    ) throws(YAMLError) {
        let canonical = Self.canonicalKey(key)
        if !seen.insert(canonical).inserted {
            throw error("duplicate mapping key '\(key.text ?? "")'", mark: key.mark)
        }
        pairs.append((key, value))
    }

    /// Keys are equal when they resolve to the same value: `1` and `0x1` collide, `1` and `"1"` do not.
    static func canonicalKey(_ key: YAMLNode) -> String {
        switch key.scalarValue {
        case .null: return "n"
        case .bool(let v): return "b\(v)"
        case .int(let v): return "i\(v)"
        case .bigInt(let v): return "i\(v)"
        case .double(let v): return v.isNaN ? "f-nan" : "f\(v)"
        case .string(let v): return "s" + v
        case nil: return "c"
        }
    }

    /// A key of a block mapping at the current position; leaves `i` at its ':'.
    private mutating func parseBlockKey() throws(YAMLError) -> YAMLNode {
        let start = i
        switch c {
        case Self.dash where Self.isBlank(at(i + 1)):
            throw error("expected a mapping key, found a sequence entry ('- ')", at: i)
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            throw unsupported("complex mapping key (a flow collection used as a key)", at: i)
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            let (node, multiLine) = try parseQuoted(parentIndent: -1)
            if multiLine { throw error("an implicit mapping key must be on a single line", at: start) }
            while Self.isWS(c) { i += 1 }
            guard c == Self.colon && Self.isBlank(at(i + 1)) else {
                throw error("expected ':' after the mapping key, found \(describe(c))", at: i)
            }
            return node
        default:
            try checkPlainStart(flow: false)
            let line = scanPlainLine(flow: false)
            guard line.keyIndicator else {
                throw error("expected ':' after the mapping key '\(text(line.start, line.end))'", at: i)
            }
            return .scalar(text(line.start, line.end), .plain, mark(start))
        }
    }

    /// A block sequence at `indent`; `i` is at its first '-'.
    mutating func parseBlockSequence(indent s: Int) throws(YAMLError) -> YAMLNode {
        let start = mark(i)
        var items: [YAMLNode] = []
        while true {
            i += 1
            items.append(try parseBlockNode(parentIndent: s, context: .seqEntry, afterIndicator: true))
            _ = try skipToContent()
            if c == 0 || atDocumentMarker { break }
            let col = leadingSpaces
            if col < s { break }
            if tabBeforeContent { throw error("a tab cannot indent a sequence entry", at: i) }
            if col > s { throw error("bad indentation: expected a sequence entry at column \(s + 1)", at: i) }
            if !atSequenceEntry { break }
        }
        return .sequence(items, start)
    }

    func text(_ start: Int, _ end: Int) -> String { String(decoding: b[start..<end], as: UTF8.self) }
}
