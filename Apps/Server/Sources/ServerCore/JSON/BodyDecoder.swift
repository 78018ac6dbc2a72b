import Foundation

/// Decodes JSON request bodies and turns every failure into a 400 that says where and what.
public struct BodyDecoder: Sendable {
    /// Largest JSON body accepted (DESIGN.md: 64 KiB).
    public var maximumBytes: Int
    /// A body the route takes, for the message of an empty one.
    public var example: String

    /// Creates a decoder with a byte limit.
    public init(maximumBytes: Int = 64 * 1024, example: String = #"{"secret": "...", "trigger": "..."}"#) {
        self.maximumBytes = maximumBytes
        self.example = example
    }

    /// Whether `bytes` is empty or only JSON whitespace.
    public static func isBlank(_ bytes: [UInt8]) -> Bool {
        bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 })
    }

    /// Decodes `T` from `bytes`; throws ``ServerError`` 400 (malformed or missing fields) or 413.
    ///
    /// With `valueErrors`, a field of the wrong type or value (a param that is not a string, a rollback's `to` that
    /// is neither a count nor `previous`) is a 422 naming the field instead: the JSON is well-formed, its values
    /// are not acceptable. A body that is not an object and a missing field stay 400.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], valueErrors: Bool = false)
        throws(ServerError) -> T
    {
        if bytes.count > maximumBytes {
            throw .tooLarge("the JSON body is \(bytes.count) bytes; the limit is \(maximumBytes)")
        }
        if Self.isBlank(bytes) {
            throw .malformedJSON("the request needs a JSON body, e.g. \(example)")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            if let failure = JSONSyntaxChecker().check(bytes) {
                throw .malformedJSON(failure.description)
            }
            if valueErrors, Self.isValueError(error) {
                throw .unprocessable(Self.describe(error))
            }
            throw .malformedJSON(Self.describe(error))
        } catch {
            throw .malformedJSON("the body could not be decoded: \(error)")
        }
    }

    /// Whether `error` is about a field's value (its type or content) rather than the body's shape.
    static func isValueError(_ error: DecodingError) -> Bool {
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return !context.codingPath.isEmpty
        case .keyNotFound:
            return false
        @unknown default:
            return false
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
            if context.codingPath.isEmpty { return "the body must be \(Self.name(of: type))" }
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
