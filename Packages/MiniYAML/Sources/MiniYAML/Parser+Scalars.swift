/// Scalars: plain (single- and multi-line), single- and double-quoted, and `|`/`>` block scalars.
extension Parser {
    /// One line's worth of a plain scalar: the text range and what stopped the scan.
    struct PlainLine {
        var start: Int
        var end: Int
        /// Stopped at a ':' that is a mapping value indicator.
        var keyIndicator = false
        /// Stopped at a comment (` #`).
        var comment = false
    }

    /// Scans plain-scalar text up to the end of the line, a value indicator, a comment or (in flow) an
    /// indicator. Trailing white space is not part of the text.
    mutating func scanPlainLine(flow: Bool) -> PlainLine {
        var line = PlainLine(start: i, end: i)
        while true {
            let ch = c
            if ch == 0 || ch == 10 { break }
            if ch == UInt8(ascii: ":") {
                let next = at(i + 1)
                if Self.isBlank(next) || (flow && Self.isFlowIndicator(next)) {
                    line.keyIndicator = true
                    break
                }
            }
            if flow && Self.isFlowIndicator(ch) { break }
            if Self.isWS(ch) {
                var k = i
                while Self.isWS(at(k)) { k += 1 }
                i = k
                if at(k) == UInt8(ascii: "#") {
                    line.comment = true
                    break
                }
                continue
            }
            i += 1
            line.end = i
        }
        return line
    }

    /// Completes a plain scalar whose first line was scanned: folds continuation lines indented more than
    /// `parentIndent`.
    mutating func finishPlain(_ first: PlainLine, parentIndent n: Int, flow: Bool) throws(YAMLError) -> YAMLNode {
        let startMark = mark(first.start)
        guard !first.keyIndicator && !first.comment && c == 10 else {
            return .scalar(text(first.start, first.end), .plain, startMark)
        }
        var out = Array(b[first.start..<first.end])
        while c == 10 {
            let saved = (i, lineStart)
            var breaks = 0
            var spaces = 0
            while c == 10 {
                i += 1
                lineStart = i
                breaks += 1
                while c == 0x20 { i += 1 }
                spaces = i - lineStart
                while Self.isWS(c) { i += 1 }
            }
            let ch = c
            var ends = ch == 0 || ch == UInt8(ascii: "#") || spaces <= n || (spaces == 0 && isDocumentMarker(lineStart))
            if flow && !ends {
                ends =
                    Self.isFlowIndicator(ch)
                    || (ch == UInt8(ascii: ":") && (Self.isBlank(at(i + 1)) || Self.isFlowIndicator(at(i + 1))))
            }
            if ends {
                (i, lineStart) = saved
                break
            }
            let line = scanPlainLine(flow: flow)
            if line.keyIndicator && flow {
                out.append(0x20)
                if breaks > 1 { out.removeLast() }
                if breaks > 1 { out.append(contentsOf: repeatElement(10, count: breaks - 1)) }
                out.append(contentsOf: b[line.start..<line.end])
                break
            }
            if line.keyIndicator {
                throw error(
                    "a multi-line plain scalar cannot be a mapping key (is a ':' or an indentation wrong?)", at: i)
            }
            if breaks == 1 {
                out.append(0x20)
            } else {
                out.append(contentsOf: repeatElement(10, count: breaks - 1))
            }
            out.append(contentsOf: b[line.start..<line.end])
            if line.comment { break }
        }
        return .scalar(String(decoding: out, as: UTF8.self), .plain, startMark)
    }

    /// A single- or double-quoted scalar; continuation lines must be indented more than `parentIndent`.
    /// Returns the node and whether it spanned more than one line.
    mutating func parseQuoted(parentIndent n: Int) throws(YAMLError) -> (YAMLNode, Bool) {
        let start = i
        let startLine = lineStart
        let double = c == UInt8(ascii: "\"")
        i += 1
        var out: [UInt8] = []
        while true {
            let ch = c
            if ch == 0 {
                throw error("unterminated \(double ? "double" : "single")-quoted scalar", at: start)
            }
            if !double && ch == UInt8(ascii: "'") {
                if at(i + 1) == UInt8(ascii: "'") {
                    out.append(ch)
                    i += 2
                    continue
                }
                i += 1
                break
            }
            if double && ch == UInt8(ascii: "\"") {
                i += 1
                break
            }
            if double && ch == UInt8(ascii: "\\") {
                if at(i + 1) == 10 {
                    i += 1
                    try foldQuotedBreaks(parentIndent: n, escaped: true, into: &out, start: start)
                    continue
                }
                try appendEscape(into: &out)
                continue
            }
            if Self.isWS(ch) {
                var k = i
                while Self.isWS(at(k)) { k += 1 }
                if at(k) != 10 { out.append(contentsOf: b[i..<k]) }
                i = k
                continue
            }
            if ch == 10 {
                try foldQuotedBreaks(parentIndent: n, escaped: false, into: &out, start: start)
                continue
            }
            out.append(ch)
            i += 1
        }
        let node = YAMLNode.scalar(
            String(decoding: out, as: UTF8.self), double ? .doubleQuoted : .singleQuoted, mark(start))
        return (node, lineStart != startLine)
    }

    /// At a line break inside a quoted scalar: folds it and any empty lines that follow.
    private mutating func foldQuotedBreaks(parentIndent n: Int, escaped: Bool, into out: inout [UInt8], start: Int)
        throws(YAMLError)
    {
        var breaks = 0
        while c == 10 {
            i += 1
            lineStart = i
            breaks += 1
            while c == 0x20 { i += 1 }
            let spaces = i - lineStart
            while Self.isWS(c) { i += 1 }
            if c == 10 { continue }
            if c == 0 { throw error("unterminated quoted scalar", at: start) }
            if spaces == 0 && isDocumentMarker(lineStart) {
                throw error("a document marker cannot appear inside a quoted scalar", at: lineStart)
            }
            if spaces <= n {
                throw error("a quoted scalar's continuation line must be indented more than its parent", at: i)
            }
        }
        if escaped {
            out.append(contentsOf: repeatElement(10, count: breaks - 1))
        } else if breaks == 1 {
            out.append(0x20)
        } else {
            out.append(contentsOf: repeatElement(10, count: breaks - 1))
        }
    }

    /// At a backslash in a double-quoted scalar.
    private mutating func appendEscape(into out: inout [UInt8]) throws(YAMLError) {
        let start = i
        let e = at(i + 1)
        i += 2
        var scalar: UInt32
        switch e {
        case UInt8(ascii: "0"): scalar = 0
        case UInt8(ascii: "a"): scalar = 7
        case UInt8(ascii: "b"): scalar = 8
        case UInt8(ascii: "t"), 0x09: scalar = 9
        case UInt8(ascii: "n"): scalar = 10
        case UInt8(ascii: "v"): scalar = 11
        case UInt8(ascii: "f"): scalar = 12
        case UInt8(ascii: "r"): scalar = 13
        case UInt8(ascii: "e"): scalar = 0x1B
        case 0x20: scalar = 0x20
        case UInt8(ascii: "\""): scalar = 0x22
        case UInt8(ascii: "/"): scalar = 0x2F
        case UInt8(ascii: "\\"): scalar = 0x5C
        case UInt8(ascii: "N"): scalar = 0x85
        case UInt8(ascii: "_"): scalar = 0xA0
        case UInt8(ascii: "L"): scalar = 0x2028
        case UInt8(ascii: "P"): scalar = 0x2029
        case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
            let count = e == UInt8(ascii: "x") ? 2 : e == UInt8(ascii: "u") ? 4 : 8
            scalar = 0
            for _ in 0..<count {
                let h = c
                let digit: UInt8
                switch h {
                case 0x30...0x39: digit = h - 0x30
                case 0x61...0x66: digit = h - 0x61 + 10
                case 0x41...0x46: digit = h - 0x41 + 10
                default: throw error("invalid escape: expected \(count) hexadecimal digits", at: start)
                }
                scalar = scalar &* 16 &+ UInt32(digit)
                i += 1
            }
        default:
            throw error(
                "invalid escape '\\\(String(decoding: [e], as: UTF8.self))' in a double-quoted scalar", at: start)
        }
        guard let unicode = Unicode.Scalar(scalar) else {
            throw error("invalid escape: U+\(String(scalar, radix: 16, uppercase: true)) is not a character", at: start)
        }
        out.append(contentsOf: Array(String(Character(unicode)).utf8))
    }

    /// A `|` or `>` block scalar whose content is indented more than `parentIndent`.
    mutating func parseBlockScalar(parentIndent n: Int) throws(YAMLError) -> YAMLNode {
        let start = i
        let literal = c == UInt8(ascii: "|")
        i += 1
        var chomp = 0  // -1 strip, 0 clip, 1 keep
        var chompSet = false
        var explicit = 0
        for _ in 0..<2 {
            let ch = c
            if (ch == UInt8(ascii: "+") || ch == UInt8(ascii: "-")) && !chompSet {
                chomp = ch == UInt8(ascii: "+") ? 1 : -1
                chompSet = true
                i += 1
            } else if ch >= UInt8(ascii: "1") && ch <= UInt8(ascii: "9") && explicit == 0 {
                explicit = Int(ch - 0x30)
                i += 1
            } else if ch == UInt8(ascii: "0") {
                throw error("a block scalar's indentation indicator must be 1-9", at: i)
            } else {
                break
            }
        }
        guard Self.isBlank(c) else { throw error("invalid block scalar header: unexpected \(describe(c))", at: i) }
        try expectLineEnd()
        if c == 10 {
            i += 1
            lineStart = i
        }
        var indent: Int
        if explicit > 0 {
            if n < 0 { throw unsupported("indentation indicator on a top-level block scalar", at: start) }
            indent = n + explicit
        } else {
            var k = i
            var maxEmpty = 0
            var found = -1
            while true {
                let ls = k
                while at(k) == 0x20 { k += 1 }
                let spaces = k - ls
                if at(k) == 10 || at(k) == 0 {
                    maxEmpty = max(maxEmpty, spaces)
                    if at(k) == 0 { break }
                    k += 1
                    continue
                }
                if spaces == 0 && isDocumentMarker(ls) { break }
                if at(k) == 0x09 && spaces <= n {
                    throw error("a tab character cannot indent a block scalar's content", at: k)
                }
                found = spaces
                break
            }
            if found > n {
                if maxEmpty > found {
                    throw error(
                        "a leading empty line of this block scalar has more spaces than its first line", at: start)
                }
                indent = found
            } else {
                // No content line: the longest empty line sets the indentation (YAML 1.2, 8.1.1.1).
                indent = max(maxEmpty, n + 1, 1)
            }
        }
        // Lines: (start, end, empty, ended by a line break).
        var lines: [(start: Int, end: Int, empty: Bool, terminated: Bool)] = []
        while c != 0 {
            let ls = i
            if indent == 0 && isDocumentMarker(ls) { break }
            var k = i
            while at(k) == 0x20 && k - ls < indent { k += 1 }
            if k - ls < indent {
                if at(k) == 10 {
                    lines.append((k, k, true, true))
                    i = k + 1
                    lineStart = i
                    continue
                }
                if at(k) == 0 {
                    lines.append((k, k, true, false))
                    i = k
                    break
                }
                if at(k) == 0x09 { throw error("a tab character cannot indent a block scalar's content", at: k) }
                break
            }
            var e = k
            while at(e) != 10 && at(e) != 0 { e += 1 }
            lines.append((k, e, e == k, at(e) == 10))
            if at(e) == 10 {
                i = e + 1
                lineStart = i
            } else {
                i = e
                break
            }
        }
        var out: [UInt8] = []
        if let last = lines.lastIndex(where: { !$0.empty }) {
            if literal {
                for (index, line) in lines[0...last].enumerated() {
                    if index > 0 { out.append(10) }
                    out.append(contentsOf: b[line.start..<line.end])
                }
            } else {
                var previous = 0  // 0 none, 1 normal text, 2 more-indented text
                var empties = 0
                for line in lines[0...last] {
                    if line.empty {
                        empties += 1
                        continue
                    }
                    let more = Self.isWS(b[line.start])
                    if previous == 0 {
                        out.append(contentsOf: repeatElement(10, count: empties))
                    } else if previous == 1 && !more {
                        if empties == 0 {
                            out.append(0x20)
                        } else {
                            out.append(contentsOf: repeatElement(10, count: empties))
                        }
                    } else {
                        out.append(contentsOf: repeatElement(10, count: empties + 1))
                    }
                    out.append(contentsOf: b[line.start..<line.end])
                    previous = more ? 2 : 1
                    empties = 0
                }
            }
            if chomp >= 0 { out.append(10) }
            if chomp == 1 {
                let trailing = lines.count - last - 1
                out.append(contentsOf: repeatElement(10, count: trailing))
            }
        } else if chomp == 1 {
            out.append(contentsOf: repeatElement(10, count: lines.count))
        }
        return .scalar(String(decoding: out, as: UTF8.self), literal ? .literal : .folded, mark(start))
    }
}
