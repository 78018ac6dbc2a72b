import Foundation

/// A strict JSON (RFC 8259) syntax checker that says where a document goes wrong.
///
/// Foundation's `JSONDecoder` reports malformed input with messages that name neither line nor
/// column; this checker runs when decoding fails and produces
/// `line 1, column 17: object keys must be double-quoted strings (found 'trigger')`.
/// It validates only; it builds no values. Nesting is bounded so hostile input cannot exhaust the stack.
public struct JSONSyntaxChecker: Sendable {
    /// A syntax error at a 1-based line and column (columns count Unicode scalars).
    public struct Failure: Sendable, Equatable, CustomStringConvertible {
        /// 1-based line.
        public var line: Int
        /// 1-based column, in Unicode scalars.
        public var column: Int
        /// What was expected or wrong.
        public var message: String
        public var description: String { "line \(line), column \(column): \(message)" }
    }

    /// Deepest nesting of arrays and objects accepted.
    public var maximumDepth: Int

    /// Creates a checker; `maximumDepth` bounds nesting.
    public init(maximumDepth: Int = 256) {
        self.maximumDepth = maximumDepth
    }

    /// Checks `bytes`; returns `nil` when they are one valid JSON value (with optional whitespace around).
    public func check(_ bytes: [UInt8]) -> Failure? {
        var scanner = Scanner(bytes: bytes, maximumDepth: maximumDepth)
        do throws(Failure) {
            scanner.skipWhitespace()
            if scanner.atEnd { throw scanner.fail("the body is empty; expected a JSON value") }
            try scanner.value(depth: 0)
            scanner.skipWhitespace()
            if !scanner.atEnd {
                throw scanner.fail("unexpected \(scanner.describeCurrent()) after the end of the JSON value")
            }
            return nil
        } catch {
            return error
        }
    }

    /// Checks a string's UTF-8 bytes.
    public func check(_ text: String) -> Failure? { check(Array(text.utf8)) }

    /// The line and column where the value at `path` begins (object keys by name, array elements by their index
    /// in decimal), for messages about a value that parses but does not fit (`1.5` for a count, `1e400`); nil
    /// when `bytes` holds no such value or is not valid JSON.
    public func position(ofValueAt path: [String], in bytes: [UInt8]) -> (line: Int, column: Int)? {
        var scanner = Scanner(bytes: bytes, maximumDepth: maximumDepth)
        scanner.target = path
        do throws(Failure) {
            scanner.skipWhitespace()
            try scanner.value(depth: 0)
        } catch {
            return nil
        }
        return scanner.found.map { scanner.position(of: $0) }
    }

    /// A number in a document: its bytes, where it is, and the path of its value.
    public struct NumberToken: Sendable {
        /// Byte offsets of the number's text.
        public var range: Range<Int>
        /// Object keys and array indices down to the number.
        public var path: [String]
    }

    /// Every number in `bytes` in document order with its path (empty when `bytes` is not valid JSON).
    public func numbers(in bytes: [UInt8]) -> [NumberToken] {
        var scanner = Scanner(bytes: bytes, maximumDepth: maximumDepth)
        scanner.target = []
        scanner.collectNumbers = true
        do throws(Failure) {
            scanner.skipWhitespace()
            try scanner.value(depth: 0)
        } catch {
            return []
        }
        return scanner.numbers
    }

    /// The 1-based line and column of byte `offset` in `bytes`.
    public func position(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        Scanner(bytes: bytes, maximumDepth: maximumDepth).position(of: offset)
    }
}

extension JSONSyntaxChecker.Failure: Error {}

private struct Scanner {
    let bytes: [UInt8]
    let maximumDepth: Int
    var index = 0
    /// The path of a value to locate, the path of the value being scanned, and where the target began.
    var target: [String]?
    var path: [String] = []
    var found: Int?
    var collectNumbers = false
    var numbers: [JSONSyntaxChecker.NumberToken] = []

    init(bytes: [UInt8], maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    var atEnd: Bool { index >= bytes.count }
    var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    /// Line and column of `offset`, computed only when an error is reported.
    func position(of offset: Int) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        var i = 0
        let end = min(offset, bytes.count)
        while i < end {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
            i += 1
        }
        return (line, column)
    }

    func fail(_ message: String, at offset: Int? = nil) -> JSONSyntaxChecker.Failure {
        let (line, column) = position(of: offset ?? index)
        return JSONSyntaxChecker.Failure(line: line, column: column, message: message)
    }

    /// A short rendering of what is at the cursor, for messages: `'x'`, `end of input`, or a word.
    func describeCurrent() -> String {
        guard let byte = current else { return "end of input" }
        if isWordByte(byte) {
            var end = index
            while end < bytes.count, isWordByte(bytes[end]), end - index < 40 { end += 1 }
            return "'\(String(decoding: bytes[index..<end], as: UTF8.self))'"
        }
        if byte < 0x20 { return "control character 0x\(String(byte, radix: 16, uppercase: true))" }
        if byte >= 0x80 {
            var end = index + 1
            while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
            return "'\(String(decoding: bytes[index..<end], as: UTF8.self))'"
        }
        return "'\(Character(Unicode.Scalar(byte)))'"
    }

    func isWordByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".")
    }

    mutating func skipWhitespace() {
        while let byte = current,
            byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
        {
            index += 1
        }
    }

    mutating func value(depth: Int) throws(JSONSyntaxChecker.Failure) {
        guard let byte = current else { throw fail("unexpected end of input; expected a value") }
        if found == nil, let target, target == path { found = index }
        switch byte {
        case UInt8(ascii: "{"): try object(depth: depth + 1)
        case UInt8(ascii: "["): try array(depth: depth + 1)
        case UInt8(ascii: "\""): try string()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = index
            try number()
            if collectNumbers { numbers.append(.init(range: start..<index, path: path)) }
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "'"):
            throw fail("strings must use double quotes, not single quotes")
        default:
            throw fail(
                "expected a value (object, array, string, number, true, false or null), found \(describeCurrent())")
        }
    }

    mutating func literal(_ word: String) throws(JSONSyntaxChecker.Failure) {
        let start = index
        for expected in word.utf8 {
            guard current == expected else {
                index = start
                throw fail("expected a value, found \(describeCurrent()) (did you mean \(word)?)")
            }
            index += 1
        }
        if let next = current, isWordByte(next) {
            index = start
            throw fail("expected a value, found \(describeCurrent())")
        }
    }

    mutating func object(depth: Int) throws(JSONSyntaxChecker.Failure) {
        if depth > maximumDepth { throw fail("nesting deeper than \(maximumDepth) levels") }
        let open = index
        index += 1
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            guard let byte = current else {
                throw fail("unexpected end of input; the object opened at \(render(open)) is not closed")
            }
            if byte != UInt8(ascii: "\"") {
                if byte == UInt8(ascii: "}") { throw fail("trailing comma before '}'") }
                if byte == UInt8(ascii: "'") {
                    throw fail("object keys must be double-quoted strings (found a single-quoted key)")
                }
                throw fail("object keys must be double-quoted strings (found \(describeCurrent()))")
            }
            let keyStart = index
            try string()
            let keyEnd = index
            skipWhitespace()
            guard current == UInt8(ascii: ":") else {
                throw fail("expected ':' after the object key, found \(describeCurrent())")
            }
            index += 1
            skipWhitespace()
            if target != nil {
                let key = try? JSONDecoder().decode(String.self, from: Data(bytes[keyStart..<keyEnd]))
                path.append(key ?? "")
            }
            try value(depth: depth)
            if target != nil { path.removeLast() }
            skipWhitespace()
            guard let next = current else {
                throw fail("unexpected end of input; the object opened at \(render(open)) is not closed")
            }
            if next == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if next == UInt8(ascii: "}") {
                index += 1
                return
            }
            throw fail("expected ',' or '}' after the object member, found \(describeCurrent())")
        }
    }

    mutating func array(depth: Int) throws(JSONSyntaxChecker.Failure) {
        if depth > maximumDepth { throw fail("nesting deeper than \(maximumDepth) levels") }
        let open = index
        index += 1
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            index += 1
            return
        }
        var element = 0
        while true {
            skipWhitespace()
            if current == UInt8(ascii: "]") { throw fail("trailing comma before ']'") }
            if atEnd { throw fail("unexpected end of input; the array opened at \(render(open)) is not closed") }
            if target != nil { path.append(String(element)) }
            try value(depth: depth)
            if target != nil { path.removeLast() }
            element += 1
            skipWhitespace()
            guard let next = current else {
                throw fail("unexpected end of input; the array opened at \(render(open)) is not closed")
            }
            if next == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if next == UInt8(ascii: "]") {
                index += 1
                return
            }
            throw fail("expected ',' or ']' after the array element, found \(describeCurrent())")
        }
    }

    func render(_ offset: Int) -> String {
        let (line, column) = position(of: offset)
        return "line \(line), column \(column)"
    }

    mutating func string() throws(JSONSyntaxChecker.Failure) {
        let open = index
        index += 1
        while true {
            guard let byte = current else {
                throw fail("unexpected end of input; the string opened at \(render(open)) is not closed")
            }
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return
            case UInt8(ascii: "\\"):
                index += 1
                guard let escape = current else {
                    throw fail("unexpected end of input in an escape sequence")
                }
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                    UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 1
                case UInt8(ascii: "u"):
                    index += 1
                    for _ in 0..<4 {
                        guard let hex = current, isHex(hex) else {
                            throw fail("\\u must be followed by four hexadecimal digits")
                        }
                        index += 1
                    }
                default:
                    throw fail("invalid escape '\\\(describeCurrent().dropFirst().dropLast())' in a string")
                }
            case 0x00..<0x20:
                throw fail("control characters must be escaped in strings (found \(describeCurrent()))")
            case 0x80...:
                try utf8Sequence()
            default:
                index += 1
            }
        }
    }

    mutating func utf8Sequence() throws(JSONSyntaxChecker.Failure) {
        let lead = bytes[index]
        let length: Int
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0...0xEF: length = 3
        case 0xF0...0xF4: length = 4
        default: throw fail("invalid UTF-8 byte 0x\(String(lead, radix: 16, uppercase: true))")
        }
        guard index + length <= bytes.count else { throw fail("truncated UTF-8 sequence") }
        let sequence = bytes[index..<index + length]
        guard String(validating: sequence, as: UTF8.self) != nil else {
            throw fail("invalid UTF-8 sequence")
        }
        index += length
    }

    func isHex(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
    }

    func isDigit(_ byte: UInt8?) -> Bool {
        guard let byte else { return false }
        return byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    mutating func number() throws(JSONSyntaxChecker.Failure) {
        if current == UInt8(ascii: "-") { index += 1 }
        guard isDigit(current) else { throw fail("expected a digit after '-'") }
        if current == UInt8(ascii: "0") {
            index += 1
            if isDigit(current) { throw fail("numbers must not have leading zeros") }
        } else {
            while isDigit(current) { index += 1 }
        }
        if current == UInt8(ascii: ".") {
            index += 1
            guard isDigit(current) else { throw fail("expected a digit after the decimal point") }
            while isDigit(current) { index += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard isDigit(current) else { throw fail("expected a digit in the exponent") }
            while isDigit(current) { index += 1 }
        }
        if let next = current, isWordByte(next) {
            throw fail("unexpected \(describeCurrent()) in a number")
        }
    }
}
