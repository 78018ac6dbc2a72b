/// The query items of a request target, percent-decoded, in order.
public struct QueryItems: Sendable, Sequence {
    /// The items in the order they appear; a key may repeat.
    public private(set) var items: [(name: String, value: String)]

    /// Parses a query string such as `after=3&wait=30` (without the leading `?`).
    public init(_ query: String) {
        items = []
        // Split on bytes: `&` and `=` are ASCII, never inside a multi-byte character, and bytes scan faster than
        // characters.
        for pair in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = PercentDecoding.decode(Substring(parts[0]), plusAsSpace: true)
            let value = parts.count > 1 ? PercentDecoding.decode(Substring(parts[1]), plusAsSpace: true) : ""
            items.append((name, value))
        }
    }

    /// The first value for `name`, or nil.
    public subscript(name: String) -> String? {
        items.first { $0.name == name }?.value
    }

    /// Every value for `name`, in order.
    public func all(_ name: String) -> [String] {
        items.filter { $0.name == name }.map(\.value)
    }

    /// Iterates the items in order.
    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        items.makeIterator()
    }
}

/// The parameters a route template captured, e.g. `name` for `/v1/triggers/:name`; values are percent-decoded.
public struct RouteParameters: Sendable {
    var values: [(name: String, value: String)] = []

    /// Creates an empty set of parameters.
    public init() {}

    /// The value captured for `name`, or nil.
    public subscript(name: String) -> String? {
        values.first { $0.name == name }?.value
    }

    /// Every captured name and value, in template order.
    public var all: [(name: String, value: String)] { values }

    mutating func append(_ name: String, _ value: String) {
        values.append((name, value))
    }
}

enum PercentDecoding {
    /// Decodes `%XX` escapes (and `+` if asked); malformed escapes are kept as they are.
    static func decode(_ text: Substring, plusAsSpace: Bool) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusAsSpace && $0 == UInt8(ascii: "+")) }) else {
            return String(text)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%"), index + 2 < utf8.count,
                let high = hexValue(utf8[index + 1]), let low = hexValue(utf8[index + 2])
            {
                bytes.append(high << 4 | low)
                index += 3
            } else if byte == UInt8(ascii: "+") && plusAsSpace {
                bytes.append(UInt8(ascii: " "))
                index += 1
            } else {
                bytes.append(byte)
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
