import Foundation

/// Decodes JSON request bodies and turns every failure into a 400 that says where and what.
public struct BodyDecoder: Sendable {
    /// Largest JSON body accepted (DESIGN.md: 64 KiB).
    public var maximumBytes: Int

    /// Creates a decoder with a byte limit.
    public init(maximumBytes: Int = 64 * 1024) {
        self.maximumBytes = maximumBytes
    }

    /// Decodes `T` from `bytes`; throws ``ServerError`` 400 (malformed or missing fields) or 413.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(ServerError) -> T {
        if bytes.count > maximumBytes {
            throw .tooLarge("the JSON body is \(bytes.count) bytes; the limit is \(maximumBytes)")
        }
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw .malformedJSON("the request needs a JSON body, e.g. {\"secret\": \"...\", \"trigger\": \"...\"}")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            if let failure = JSONSyntaxChecker().check(bytes) {
                throw .malformedJSON(failure.description)
            }
            throw .malformedJSON(Self.describe(error))
        } catch {
            throw .malformedJSON("the body could not be decoded: \(error)")
        }
    }

    /// Renders a `DecodingError` as `missing field 'trigger'` / `field 'count' must be ...`.
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return "missing field '\(key.stringValue)'" + (parent.isEmpty ? "" : " in '\(parent)'")
        case .typeMismatch(let type, let context):
            return "field '\(path(context.codingPath))' must be \(Self.name(of: type))"
        case .valueNotFound(let type, let context):
            return "field '\(path(context.codingPath))' must be \(Self.name(of: type)), not null"
        case .dataCorrupted(let context):
            let where_ = path(context.codingPath)
            return (where_.isEmpty ? "" : "field '\(where_)': ") + context.debugDescription
        @unknown default:
            return "the body does not match the expected shape"
        }
    }

    static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Int64.Type, is UInt64.Type: return "an integer"
        case is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        case is [Any].Type: return "an array"
        default:
            let name = String(describing: type)
            return name.hasPrefix("Array") ? "an array" : (name.hasPrefix("Dictionary") ? "an object" : "a \(name)")
        }
    }
}
