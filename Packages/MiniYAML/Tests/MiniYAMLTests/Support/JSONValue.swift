/// A JSON value with ordered objects, for comparing against the suite's in.json files.
enum JSONValue: Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b || (a.isNaN && b.isNaN)
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    var description: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return "\(b)"
        case .number(let d): return "\(d)"
        case .string(let s): return "\"\(s)\""
        case .array(let a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
        case .object(let o): return "{" + o.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
        }
    }

    /// Parses a stream of JSON texts (the suite puts one per document).
    static func parseStream(_ text: String) throws -> [JSONValue] {
        var parser = JSONStreamParser(bytes: Array(text.utf8))
        var values: [JSONValue] = []
        parser.skipSpace()
        while parser.i < parser.bytes.count {
            values.append(try parser.value())
            parser.skipSpace()
        }
        return values
    }
}

struct JSONStreamParser {
    struct Failure: Error {}
    let bytes: [UInt8]
    var i = 0

    var c: UInt8 { i < bytes.count ? bytes[i] : 0 }

    mutating func skipSpace() {
        while c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 }
    }

    mutating func expect(_ word: String) throws {
        for byte in word.utf8 {
            guard c == byte else { throw Failure() }
            i += 1
        }
    }

    mutating func value() throws -> JSONValue {
        skipSpace()
        switch c {
        case UInt8(ascii: "n"):
            try expect("null")
            return .null
        case UInt8(ascii: "t"):
            try expect("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expect("false")
            return .bool(false)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "["):
            i += 1
            var items: [JSONValue] = []
            skipSpace()
            if c == UInt8(ascii: "]") {
                i += 1
                return .array(items)
            }
            while true {
                items.append(try value())
                skipSpace()
                if c == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                try expect("]")
                return .array(items)
            }
        case UInt8(ascii: "{"):
            i += 1
            var pairs: [(String, JSONValue)] = []
            skipSpace()
            if c == UInt8(ascii: "}") {
                i += 1
                return .object(pairs)
            }
            while true {
                skipSpace()
                let key = try string()
                skipSpace()
                try expect(":")
                pairs.append((key, try value()))
                skipSpace()
                if c == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                try expect("}")
                return .object(pairs)
            }
        default:
            let start = i
            while let ch = Optional(c),
                ch == UInt8(ascii: "-") || ch == UInt8(ascii: "+") || ch == UInt8(ascii: ".")
                    || ch == UInt8(ascii: "e") || ch == UInt8(ascii: "E") || (ch >= 0x30 && ch <= 0x39)
            {
                i += 1
            }
            guard let number = Double(String(decoding: bytes[start..<i], as: UTF8.self)) else { throw Failure() }
            return .number(number)
        }
    }

    mutating func string() throws -> String {
        try expect("\"")
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        func flush() {
            scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
            raw.removeAll()
        }
        while true {
            let ch = c
            guard ch != 0 else { throw Failure() }
            i += 1
            if ch == UInt8(ascii: "\"") { break }
            if ch != UInt8(ascii: "\\") {
                raw.append(ch)
                continue
            }
            flush()
            let e = c
            i += 1
            switch e {
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code) {
                    try expect("\\u")
                    let low = try hex4()
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(code) else { throw Failure() }
                scalars.append(scalar)
            default: scalars.append(Unicode.Scalar(e))
            }
        }
        flush()
        return String(scalars)
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16) else {
            throw Failure()
        }
        i += 4
        return v
    }
}
