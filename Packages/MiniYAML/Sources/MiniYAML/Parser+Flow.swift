/// Flow collections: `[a, b]` and `{a: b}`, nested and over several lines.
extension Parser {
    /// Skips white space, comments and line breaks inside a flow collection. Continuation lines must be
    /// indented more than the enclosing block (`parentIndent`).
    mutating func skipFlowSpace(parentIndent n: Int) throws(YAMLError) {
        while true {
            while Self.isWS(c) { i += 1 }
            if c == UInt8(ascii: "#"), i == lineStart || Self.isWS(at(i - 1)) {
                while c != 10 && c != 0 { i += 1 }
            }
            guard c == 10 else { return }
            i += 1
            lineStart = i
            while c == 0x20 { i += 1 }
            let spaces = i - lineStart
            while Self.isWS(c) { i += 1 }
            if c == 10 || c == 0 || c == UInt8(ascii: "#") { continue }
            if spaces == 0 && isDocumentMarker(lineStart) {
                throw error("a document marker cannot appear inside a flow collection", at: lineStart)
            }
            if spaces <= n {
                throw error("a flow collection's continuation line must be indented more than its parent", at: i)
            }
        }
    }

    private var atExplicitKey: Bool {
        c == UInt8(ascii: "?") && (Self.isBlank(at(i + 1)) || Self.isFlowIndicator(at(i + 1)))
    }

    private var atEmptyKey: Bool {
        c == UInt8(ascii: ":") && (Self.isBlank(at(i + 1)) || Self.isFlowIndicator(at(i + 1)))
    }

    /// A flow sequence or mapping; `i` is at its opening bracket.
    mutating func parseFlowCollection(parentIndent n: Int) throws(YAMLError) -> YAMLNode {
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maxDepth { throw error("nesting deeper than \(Self.maxDepth) levels", at: i) }
        let start = i
        let isSequence = c == UInt8(ascii: "[")
        let close = isSequence ? UInt8(ascii: "]") : UInt8(ascii: "}")
        i += 1
        var items: [YAMLNode] = []
        var pairs: [(key: YAMLNode, value: YAMLNode)] = []
        var seen = Set<String>()
        while true {
            try skipFlowSpace(parentIndent: n)
            if c == close {
                i += 1
                break
            }
            if c == 0 { throw error("unterminated flow \(isSequence ? "sequence" : "mapping")", at: start) }
            if c == UInt8(ascii: ",") { throw error("unexpected ',' (an empty entry) in a flow collection", at: i) }
            if atExplicitKey { throw unsupported("complex mapping key ('? ')", at: i) }
            if atEmptyKey { throw unsupported("mapping entry with an empty key", at: i) }
            let keyStart = i
            let keyLine = lineStart
            let (node, isCollection) = try parseFlowNode(parentIndent: n)
            try skipFlowSpace(parentIndent: n)
            if c == UInt8(ascii: ":") {
                if isCollection {
                    throw unsupported("complex mapping key (a flow collection used as a key)", at: keyStart)
                }
                if lineStart != keyLine && isSequence {
                    throw unsupported("implicit key spanning several lines", at: keyStart)
                }
                i += 1
                try skipFlowSpace(parentIndent: n)
                let value: YAMLNode
                if c == UInt8(ascii: ",") || c == close {
                    value = emptyNode(at: i)
                } else {
                    value = try parseFlowNode(parentIndent: n).0
                }
                if isSequence {
                    items.append(.mapping([(node, value)], node.mark))
                } else {
                    try add(key: node, value: value, to: &pairs, seen: &seen)
                }
            } else if isSequence {
                items.append(node)
            } else if c == UInt8(ascii: ",") || c == close {
                if isCollection {
                    throw unsupported("complex mapping key (a flow collection used as a key)", at: keyStart)
                }
                try add(key: node, value: emptyNode(at: i), to: &pairs, seen: &seen)
            } else {
                throw error("expected ':', ',' or '}' in a flow mapping, found \(describe(c))", at: i)
            }
            try skipFlowSpace(parentIndent: n)
            if c == UInt8(ascii: ",") {
                i += 1
                continue
            }
            if c != close {
                throw error(
                    "expected ',' or '\(isSequence ? "]" : "}")' in a flow collection, found \(describe(c))", at: i)
            }
        }
        return isSequence ? .sequence(items, mark(start)) : .mapping(pairs, mark(start))
    }

    /// A node inside a flow collection; also says whether it is a collection.
    private mutating func parseFlowNode(parentIndent n: Int) throws(YAMLError) -> (YAMLNode, Bool) {
        switch c {
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            return (try parseFlowCollection(parentIndent: n), true)
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            return (try parseQuoted(parentIndent: n).0, false)
        case UInt8(ascii: "|"), UInt8(ascii: ">"):
            throw error("a block scalar cannot appear inside a flow collection", at: i)
        default:
            try checkPlainStart(flow: true)
            let line = scanPlainLine(flow: true)
            if line.start == line.end { throw error("expected a value, found \(describe(c))", at: i) }
            return (try finishPlain(line, parentIndent: n, flow: true), false)
        }
    }
}
