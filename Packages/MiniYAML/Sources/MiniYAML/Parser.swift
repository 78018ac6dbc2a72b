/// The parser's state: a cursor over the UTF-8 bytes of one stream (CR and CRLF read as LF).
///
/// Byte 0 stands for the end of input: NUL is rejected up front, so it never occurs as content.
struct Parser {
    enum Context { case document, mapValue, seqEntry }

    static let maxDepth = 200

    var b: [UInt8]
    var i = 0
    /// Offset of the first byte of the line holding `i`.
    var lineStart = 0
    var depth = 0
    let fileName: String
    private var lineStarts: [Int] = [0]
    /// The last mark computed, so that marks along one long line cost O(distance), not O(column).
    private let lastMark = MarkCache()

    final class MarkCache {
        var line = -1
        var offset = 0
        var column = 1
    }

    init(bytes: [UInt8], fileName: String) {
        var input = bytes
        if input.contains(13) {
            var normalized: [UInt8] = []
            normalized.reserveCapacity(input.count)
            var k = 0
            while k < input.count {
                if input[k] == 13 {
                    normalized.append(10)
                    if k + 1 < input.count, input[k + 1] == 10 { k += 1 }
                } else {
                    normalized.append(input[k])
                }
                k += 1
            }
            input = normalized
        }
        b = input
        self.fileName = fileName
        for (k, byte) in input.enumerated() where byte == 10 { lineStarts.append(k + 1) }
    }

    // MARK: Positions and errors

    func mark(_ offset: Int) -> YAMLMark {
        var lo = 0
        var hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        var column = 1
        var k = lineStarts[lo]
        if lastMark.line == lo && lastMark.offset <= offset {
            column = lastMark.column
            k = lastMark.offset
        }
        let end = min(offset, b.count)
        while k < end {
            if b[k] & 0xC0 != 0x80 { column += 1 }
            k += 1
        }
        lastMark.line = lo
        lastMark.offset = max(k, lineStarts[lo])
        lastMark.column = column
        return YAMLMark(line: lo + 1, column: column)
    }

    func error(_ message: String, at offset: Int) -> YAMLError {
        error(message, mark: mark(offset))
    }

    func error(_ message: String, mark: YAMLMark) -> YAMLError {
        YAMLError(fileName: fileName, line: mark.line, column: mark.column, message: message)
    }

    func unsupported(_ construct: String, at offset: Int) -> YAMLError {
        error("unsupported \(construct) (MiniYAML reads a subset of YAML)", at: offset)
    }

    // MARK: Characters

    @inline(__always) func at(_ k: Int) -> UInt8 { k < b.count ? b[k] : 0 }
    @inline(__always) var c: UInt8 { i < b.count ? b[i] : 0 }
    @inline(__always) static func isWS(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
    @inline(__always) static func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0 }
    @inline(__always) static func isFlowIndicator(_ c: UInt8) -> Bool {
        c == UInt8(ascii: ",") || c == UInt8(ascii: "[") || c == UInt8(ascii: "]") || c == UInt8(ascii: "{")
            || c == UInt8(ascii: "}")
    }

    func describe(_ c: UInt8) -> String {
        c == 0 ? "end of input" : c == 10 ? "line break" : "'\(String(decoding: [c], as: UTF8.self))'"
    }

    /// `---` or `...` at the start of a line, followed by a blank.
    func isDocumentMarker(_ k: Int) -> Bool {
        guard k + 2 < b.count, Self.isBlank(at(k + 3)) else { return false }
        return (b[k] == 0x2D && b[k + 1] == 0x2D && b[k + 2] == 0x2D)
            || (b[k] == 0x2E && b[k + 1] == 0x2E && b[k + 2] == 0x2E)
    }

    var atDocumentMarker: Bool { i == lineStart && isDocumentMarker(i) }

    /// Rejects characters YAML does not allow in a stream.
    func validateCharacters() throws(YAMLError) {
        var k = 0
        while k < b.count {
            let byte = b[k]
            if (byte < 0x20 && byte != 0x09 && byte != 0x0A) || byte == 0x7F {
                throw error("control character U+\(hex(UInt32(byte))) is not allowed in YAML", at: k)
            }
            if byte == 0xC2, k + 1 < b.count, (0x80...0x9F).contains(b[k + 1]), b[k + 1] != 0x85 {
                throw error("control character U+\(hex(UInt32(b[k + 1]))) is not allowed in YAML", at: k)
            }
            if byte == 0xEF, k + 2 < b.count, b[k + 1] == 0xBF, b[k + 2] == 0xBE || b[k + 2] == 0xBF {
                throw error("non-character U+FFF\(b[k + 2] == 0xBE ? "E" : "F") is not allowed in YAML", at: k)
            }
            k += 1
        }
    }

    private func hex(_ v: UInt32) -> String {
        let digits = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    // MARK: Whitespace

    /// Skips spaces, tabs, comments and line breaks; returns whether a line break was crossed.
    mutating func skipToContent() throws(YAMLError) -> Bool {
        var crossed = false
        while true {
            while Self.isWS(c) { i += 1 }
            if c == UInt8(ascii: "#"), i == lineStart || Self.isWS(at(i - 1)) {
                while c != 10 && c != 0 { i += 1 }
            }
            if c == 10 {
                i += 1
                lineStart = i
                crossed = true
                continue
            }
            break
        }
        return crossed
    }

    /// The number of spaces that start the current line (its indentation; tabs never indent).
    var leadingSpaces: Int {
        var k = lineStart
        while k < b.count && b[k] == 0x20 { k += 1 }
        return k - lineStart
    }

    /// At the first content of a line, whether a tab came before it.
    var tabBeforeContent: Bool { i - lineStart != leadingSpaces }

    /// After a value: only spaces, tabs and a comment may follow on the line.
    mutating func expectLineEnd() throws(YAMLError) {
        while Self.isWS(c) { i += 1 }
        if c == UInt8(ascii: "#"), i == lineStart || Self.isWS(at(i - 1)) {
            while c != 10 && c != 0 { i += 1 }
        }
        if c != 10 && c != 0 {
            throw error("unexpected \(describe(c)) after a value; only a comment may follow on this line", at: i)
        }
    }

    func emptyNode(at offset: Int) -> YAMLNode { .scalar("", .plain, mark(offset)) }

    // MARK: Document

    mutating func parseStream() throws(YAMLError) -> YAMLNode {
        try validateCharacters()
        if b.count >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF {
            i = 3
            lineStart = 3
        }
        _ = try skipToContent()
        if c == 0 { throw unsupported("empty stream (the input holds no document)", at: i) }
        if c == UInt8(ascii: "%"), i == lineStart { throw unsupported("directive (%)", at: i) }
        let node: YAMLNode
        if atDocumentMarker && c == UInt8(ascii: "-") {
            i += 3
            node = try parseBlockNode(parentIndent: -1, context: .document, afterIndicator: true)
        } else if atDocumentMarker {
            throw unsupported("document end marker (...) before any document", at: i)
        } else {
            node = try parseBlockNode(parentIndent: -1, context: .document, afterIndicator: false)
        }
        _ = try skipToContent()
        if c == 0 { return node }
        if atDocumentMarker {
            if c == UInt8(ascii: ".") {
                i += 3
                try expectLineEnd()
                _ = try skipToContent()
                if c == 0 { return node }
            }
            throw unsupported("multiple documents in one stream", at: i)
        }
        throw error("unexpected \(describe(c)) after the end of the document's top-level node", at: i)
    }
}
