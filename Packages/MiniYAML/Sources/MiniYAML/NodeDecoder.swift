/// The `Decoder` over one `YAMLNode`.
struct NodeDecoder: Decoder {
    let node: YAMLNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .mapping(let pairs, _) = node else {
            throw DecodingError.typeMismatch(
                [String: Any].self,
                .init(codingPath: codingPath, debugDescription: "expected a mapping, found \(node.kindDescription)"))
        }
        return KeyedDecodingContainer(NodeKeyedContainer<Key>(pairs: pairs, node: node, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .sequence(let items, _) = node else {
            throw DecodingError.typeMismatch(
                [Any].self,
                .init(codingPath: codingPath, debugDescription: "expected a sequence, found \(node.kindDescription)"))
        }
        return NodeUnkeyedContainer(items: items, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    // MARK: Scalars

    func mismatch<T>(_ type: T.Type, _ expected: String) -> DecodingError {
        var hint = ""
        if expected == "a string" && node.isNull { hint = " (quote it to get a string)" }
        return DecodingError.typeMismatch(
            type,
            .init(
                codingPath: codingPath, debugDescription: "expected \(expected), found \(node.kindDescription)\(hint)"))
    }

    func decodeString() throws -> String {
        guard case .scalar(let text, _, _) = node, !node.isNull else { throw mismatch(String.self, "a string") }
        return text
    }

    func decodeBool() throws -> Bool {
        guard case .bool(let value) = node.scalarValue else { throw mismatch(Bool.self, "a boolean (true or false)") }
        return value
    }

    func decodeInteger<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        switch node.scalarValue {
        case .int(let value):
            guard let result = T(exactly: value) else { throw outOfRange(type) }
            return result
        case .bigInt:
            throw outOfRange(type)
        default:
            throw mismatch(type, "an integer")
        }
    }

    private func outOfRange<T>(_ type: T.Type) -> DecodingError {
        DecodingError.dataCorrupted(
            .init(codingPath: codingPath, debugDescription: "integer \(node.text ?? "") does not fit in \(type)"))
    }

    func decodeDouble() throws -> Double {
        switch node.scalarValue {
        case .int(let value): return Double(value)
        case .bigInt(let digits): return Double(digits) ?? .nan
        case .double(let value): return value
        default: throw mismatch(Double.self, "a number")
        }
    }
}

extension NodeDecoder: SingleValueDecodingContainer {
    func decodeNil() -> Bool { node.isNull }
    func decode(_ type: Bool.Type) throws -> Bool { try decodeBool() }
    func decode(_ type: String.Type) throws -> String { try decodeString() }
    func decode(_ type: Double.Type) throws -> Double { try decodeDouble() }
    func decode(_ type: Float.Type) throws -> Float { Float(try decodeDouble()) }
    func decode(_ type: Int.Type) throws -> Int { try decodeInteger(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decodeInteger(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decodeInteger(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decodeInteger(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decodeInteger(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try decodeInteger(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decodeInteger(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decodeInteger(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decodeInteger(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decodeInteger(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: self) }
}
