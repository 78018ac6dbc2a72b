/// The `Decoder` over one `YAMLNode`.
///
/// Every fixed-width integer and both floating-point types have their own path here (never a fallback to
/// `T(from:)`), so each width gets its own range check and message.
struct NodeDecoder: Decoder {
    let node: YAMLNode
    let codingPath: [any CodingKey]
    let userInfo: [CodingUserInfoKey: Any]

    /// The decoder of `node`, reached from this one by `key`; it shares this decoder's `userInfo`.
    func child(_ node: YAMLNode, _ key: any CodingKey) -> NodeDecoder {
        NodeDecoder(node: node, codingPath: codingPath + [key], userInfo: userInfo)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .mapping(let pairs, _) = node else {
            throw DecodingError.typeMismatch(
                [String: Any].self,
                .init(codingPath: codingPath, debugDescription: "expected a mapping, found \(node.kindDescription)"))
        }
        return KeyedDecodingContainer(NodeKeyedContainer<Key>(pairs: pairs, parent: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .sequence(let items, _) = node else {
            // "list" rather than "sequence": the word people who write configuration files use.
            throw DecodingError.typeMismatch(
                [Any].self,
                .init(codingPath: codingPath, debugDescription: "expected a list, found \(node.kindDescription)"))
        }
        return NodeUnkeyedContainer(items: items, parent: self)
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

    /// Any non-null scalar, as written: `mode: 0755` and `PORT: 8080` read as "0755" and "8080".
    func decodeString() throws -> String {
        guard case .scalar(let text, _, _) = node, !node.isNull else { throw mismatch(String.self, "a string") }
        return text
    }

    func decodeBool() throws -> Bool {
        // The two spellings an operator can type, rather than the word "boolean".
        guard case .bool(let value) = node.scalarValue else { throw mismatch(Bool.self, "true or false") }
        return value
    }

    func decodeInteger<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        switch node.scalarValue {
        case .int(let value):
            guard let result = T(exactly: value) else { throw outOfRange(type) }
            return result
        case .bigInt(let digits):
            // Past Int's range but maybe within UInt64's (or UInt's).
            guard let result = T(digits, radix: 10) else { throw outOfRange(type) }
            return result
        default:
            throw mismatch(type, "an integer")
        }
    }

    func decodeFloatingPoint<T: BinaryFloatingPoint>(_ type: T.Type) throws -> T {
        let value: Double
        switch node.scalarValue {
        case .int(let integer): value = Double(integer)
        case .bigInt(let digits): value = Double(digits) ?? .nan
        case .double(let double): value = double
        default: throw mismatch(type, "a number")
        }
        let result = T(value)
        // Rounding is expected; a finite number turning infinite is not (e.g. 1e300 as a Float).
        guard result.isFinite || !value.isFinite else { throw outOfRange(type) }
        return result
    }

    private func outOfRange<T>(_ type: T.Type) -> DecodingError {
        DecodingError.dataCorrupted(
            .init(codingPath: codingPath, debugDescription: "value \(node.text ?? "") does not fit \(type)"))
    }
}

extension NodeDecoder: SingleValueDecodingContainer {
    func decodeNil() -> Bool { node.isNull }
    func decode(_ type: Bool.Type) throws -> Bool { try decodeBool() }
    func decode(_ type: String.Type) throws -> String { try decodeString() }
    func decode(_ type: Double.Type) throws -> Double { try decodeFloatingPoint(type) }
    func decode(_ type: Float.Type) throws -> Float { try decodeFloatingPoint(type) }
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
