import Testing

@testable import MiniYAML

/// A one-field document, decoded through a keyed container like a configuration file's fields are.
private struct Field<T: Decodable>: Decodable {
    var value: T
}

/// Adds one to a non-negative decimal numeral (so the tests can step just past any width's bounds).
private func increment(_ digits: String) -> String {
    var result = Array(digits.utf8)
    var position = result.count - 1
    while position >= 0 {
        if result[position] == UInt8(ascii: "9") {
            result[position] = UInt8(ascii: "0")
            position -= 1
        } else {
            result[position] += 1
            return String(decoding: result, as: UTF8.self)
        }
    }
    return "1" + String(decoding: result, as: UTF8.self)
}

/// One integer width: its bounds as text, the numerals just outside them, and a decode of `value: TEXT`.
struct IntegerWidth: Sendable, CustomTestStringConvertible {
    let name: String
    let min: String
    let max: String
    let below: String
    let above: String
    let decode: @Sendable (String) throws -> String

    var testDescription: String { name }

    init<T: FixedWidthInteger & Decodable & Sendable>(_ type: T.Type) {
        name = "\(type)"
        min = String(T.min)
        max = String(T.max)
        below = T.min == 0 ? "-1" : "-" + increment(String(String(T.min).dropFirst()))
        above = increment(String(T.max))
        decode = { text in
            String(try YAMLDecoder().decode(Field<T>.self, from: "# a width\nvalue: \(text)", fileName: "n.yml").value)
        }
    }

    static let all = [
        IntegerWidth(Int.self), IntegerWidth(Int8.self), IntegerWidth(Int16.self), IntegerWidth(Int32.self),
        IntegerWidth(Int64.self), IntegerWidth(UInt.self), IntegerWidth(UInt8.self), IntegerWidth(UInt16.self),
        IntegerWidth(UInt32.self), IntegerWidth(UInt64.self),
    ]
}

@Suite(.timeLimit(.minutes(3))) struct NumberDecodingTests {
    @Test(arguments: IntegerWidth.all)
    func everyIntegerWidthDecodesItsBounds(_ width: IntegerWidth) throws {
        #expect(try width.decode(width.min) == width.min)
        #expect(try width.decode(width.max) == width.max)
        #expect(try width.decode("0x7F") == "127")
        #expect(try width.decode("-0") == "0")
    }

    @Test(arguments: IntegerWidth.all)
    func everyIntegerWidthRejectsOverflowWithItsPosition(_ width: IntegerWidth) throws {
        for text in [width.below, width.above] {
            let error = try #require(throws: YAMLError.self) { try width.decode(text) }
            #expect(error.reason == "value \(text) does not fit \(width.name)")
            #expect(error.description == "n.yml:2:8: at value: value \(text) does not fit \(width.name)")
            #expect(error.keyMark == YAMLMark(line: 2, column: 1))
        }
    }

    @Test(arguments: IntegerWidth.all)
    func everyIntegerWidthRejectsANonInteger(_ width: IntegerWidth) throws {
        let error = try #require(throws: YAMLError.self) { try width.decode("1.5") }
        #expect(error.reason == "expected an integer, found a floating-point number")
    }

    @Test func hexAndSequenceItemsAreCheckedToo() throws {
        let error = try #require(throws: YAMLError.self) {
            try YAMLDecoder().decode([UInt8].self, from: "[1, 0x100]", fileName: "l.yml")
        }
        #expect(error.description == "l.yml:1:5: at [1]: value 0x100 does not fit UInt8")
        let top = try #require(throws: YAMLError.self) { try YAMLDecoder().decode(Int16.self, from: "70000") }
        #expect(top.description == "<input>:1:1: at (top level): value 70000 does not fit Int16")
    }

    @Test func floatingPointTypesDecodeIntegersFloatsAndInfinities() throws {
        let floats = try YAMLDecoder().decode([Float].self, from: "[1.5, -2, .inf, 1e-2]")
        #expect(floats == [1.5, -2, .infinity, Float(0.01)])
        let doubles = try YAMLDecoder().decode([Double].self, from: "[1e300, -.INF, 0x10, 99999999999999999999]")
        #expect(doubles == [1e300, -.infinity, 16, 1e20])
        #expect(try YAMLDecoder().decode(Field<Float>.self, from: "value: .nan").value.isNaN)
    }

    @Test func aFloatThatOverflowsFloatIsAnErrorAtItsPosition() throws {
        let error = try #require(throws: YAMLError.self) {
            try YAMLDecoder().decode(Field<Float>.self, from: "value: -1e39", fileName: "f.yml")
        }
        #expect(error.description == "f.yml:1:8: at value: value -1e39 does not fit Float")
        #expect(error.keyMark == YAMLMark(line: 1, column: 1))
    }

    @Test func aStringIsNotANumber() throws {
        let error = try #require(throws: YAMLError.self) {
            try YAMLDecoder().decode(Field<Double>.self, from: "value: \"1.5\"")
        }
        #expect(error.reason == "expected a number, found a string")
    }
}
