/// A keyed container over a mapping's pairs; `allKeys` keeps source order.
struct NodeKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let pairs: [(key: YAMLNode, value: YAMLNode)]
    /// The decoder of the mapping itself.
    let parent: NodeDecoder
    private let index: [String: Int]

    init(pairs: [(key: YAMLNode, value: YAMLNode)], parent: NodeDecoder) {
        self.pairs = pairs
        self.parent = parent
        var index: [String: Int] = [:]
        for (position, pair) in pairs.enumerated() {
            let text = pair.key.text ?? ""
            if index[text] == nil { index[text] = position }
        }
        self.index = index
    }

    var codingPath: [any CodingKey] { parent.codingPath }

    var allKeys: [Key] { pairs.compactMap { Key(stringValue: $0.key.text ?? "") } }

    func contains(_ key: Key) -> Bool { index[key.stringValue] != nil }

    private func decoder(for key: Key) throws -> NodeDecoder {
        guard let position = index[key.stringValue] else {
            throw DecodingError.keyNotFound(
                key, .init(codingPath: codingPath, debugDescription: "missing key '\(key.stringValue)'"))
        }
        return parent.child(pairs[position].value, key)
    }

    func decodeNil(forKey key: Key) throws -> Bool { try decoder(for: key).node.isNull }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decoder(for: key).decodeBool() }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try decoder(for: key).decodeString() }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
        try decoder(for: key).decodeFloatingPoint(type)
    }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decoder(for: key).decodeFloatingPoint(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decoder(for: key).decodeInteger(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decoder(for: key).decodeInteger(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decoder(for: key).decodeInteger(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decoder(for: key).decodeInteger(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decoder(for: key).decodeInteger(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decoder(for: key).decodeInteger(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decoder(for: key).decodeInteger(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decoder(for: key).decodeInteger(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decoder(for: key).decodeInteger(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decoder(for: key).decodeInteger(type) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try T(from: decoder(for: key)) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try decoder(for: key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try decoder(for: key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { parent }
    func superDecoder(forKey key: Key) throws -> any Decoder { try decoder(for: key) }
}
