import Testing

@testable import AgentCore

/// A config-like type with a field of every integer and floating-point width.
private struct Widths: Decodable, Equatable {
    var int: Int
    var int8: Int8
    var int16: Int16
    var int32: Int32
    var int64: Int64
    var uint: UInt
    var uint8: UInt8
    var uint16: UInt16
    var uint32: UInt32
    var uint64: UInt64
    var float: Float
    var double: Double

    /// The smallest of every integer width, and floats the type holds exactly.
    static let low = Widths(
        int: .min, int8: .min, int16: .min, int32: .min, int64: .min, uint: .min, uint8: .min, uint16: .min,
        uint32: .min, uint64: .min, float: -1.5, double: -2.25)
    /// The largest of every integer width, and the largest finite floats.
    static let high = Widths(
        int: .max, int8: .max, int16: .max, int32: .max, int64: .max, uint: .max, uint8: .max, uint16: .max,
        uint32: .max, uint64: .max, float: .greatestFiniteMagnitude, double: .greatestFiniteMagnitude)

    /// The fields as a YAML document, one `key: value` per line in declaration order.
    var yaml: String {
        let values: [(String, String)] = [
            ("int", "\(int)"), ("int8", "\(int8)"), ("int16", "\(int16)"), ("int32", "\(int32)"),
            ("int64", "\(int64)"), ("uint", "\(uint)"), ("uint8", "\(uint8)"), ("uint16", "\(uint16)"),
            ("uint32", "\(uint32)"), ("uint64", "\(uint64)"), ("float", "\(float)"), ("double", "\(double)"),
        ]
        return values.map { "\($0.0): \($0.1)\n" }.joined()
    }
}

@Suite struct ScriptNumberDecodingTests {
    private func decode(_ text: String) throws -> Widths {
        try YAMLDocument.decode(Widths.self, text: text, fileName: "widths.yaml", withWarnings: false)
    }

    @Test func everyWidthDecodesItsBoundsThroughTheScriptPath() throws {
        #expect(try decode(Widths.low.yaml) == Widths.low)
        #expect(try decode(Widths.high.yaml) == Widths.high)
    }

    /// A field, a value just outside its type, and the type's name as the message gives it.
    @Test(arguments: [
        ("int8", "128", "Int8"), ("int16", "-32769", "Int16"), ("int32", "2147483648", "Int32"),
        ("int64", "9223372036854775808", "Int64"), ("int", "-9223372036854775809", "Int"), ("uint", "-1", "UInt"),
        ("uint8", "256", "UInt8"), ("uint16", "0x10000", "UInt16"), ("uint32", "4294967296", "UInt32"),
        ("uint64", "18446744073709551616", "UInt64"), ("float", "1e39", "Float"),
    ])
    func anOutOfRangeValueIsAnErrorAtItsKey(_ field: String, _ value: String, _ type: String) throws {
        let lines = Widths.high.yaml.split(separator: "\n").map(String.init)
        let line = try #require(lines.firstIndex { $0.hasPrefix(field + ":") })
        var edited = lines
        edited[line] = "\(field): \(value)"
        let error = #expect(throws: AgentError.self) { try decode(edited.joined(separator: "\n")) }
        #expect(error?.kind == .invalidScript)
        #expect(error?.message == "widths.yaml:\(line + 1):1: value \(value) does not fit \(type)")
    }

    @Test func aWrongKindOfValueNamesWhatWasExpected() throws {
        let text = Widths.low.yaml.split(separator: "\n").map { $0.hasPrefix("double:") ? "double: fast" : String($0) }
        let error = #expect(throws: AgentError.self) { try decode(text.joined(separator: "\n")) }
        #expect(error?.message == "widths.yaml:12:1: expected a number, found a string")
    }
}
