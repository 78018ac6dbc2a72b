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

    /// One decoder for every request (making a `JSONDecoder` per body was a measurable share of a small request's
    /// cost); `JSONDecoder` is `Sendable`, and this one is never reconfigured.
    private static let sharedDecoder = JSONDecoder()

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
            return try Self.sharedDecoder.decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            if let failure = JSONSyntaxChecker().check(bytes) {
                throw .malformedJSON(failure.description)
            }
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
                let message = Self.unfitNumber(T.self, in: bytes)
            {
                throw valueErrors ? .unprocessable(message) : .malformedJSON(message)
            }
            let message = Self.locate(error, in: bytes) + Self.describe(error)
            if valueErrors, Self.isValueError(error) {
                throw .unprocessable(message)
            }
            throw .malformedJSON(message)
        } catch {
            throw .malformedJSON("the body could not be decoded: \(error)")
        }
    }

    /// `line L, column C: ` where the value `error` is about begins (a count of `1.5`, `18446744073709551616` or
    /// `1e400`), or nothing when the error names no value in the body.
    static func locate(_ error: DecodingError, in bytes: [UInt8]) -> String {
        let context: DecodingError.Context
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): context = c
        case .keyNotFound: return ""
        @unknown default: return ""
        }
        guard !context.codingPath.isEmpty else { return "" }
        let path = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
        guard let (line, column) = JSONSyntaxChecker().position(ofValueAt: path, in: bytes) else { return "" }
        return "line \(line), column \(column): "
    }

    /// Foundation reports a number that fits no Swift type (`1.5` for an integer, `18446744073709551616`, `1e400`)
    /// as "not valid JSON", naming neither field nor place. The document is valid, so one of its numbers is the
    /// cause: each number that could be (a fraction, an exponent, 19 digits or more) is replaced by 0 in turn
    /// until the body decodes, which names it. At most 64 tries; nil when none of them explains the failure.
    static func unfitNumber<T: Decodable>(_ type: T.Type, in bytes: [UInt8]) -> String? {
        let checker = JSONSyntaxChecker()
        let suspects = checker.numbers(in: bytes).filter { token in
            let text = bytes[token.range]
            return text.contains(where: {
                $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E")
            })
                || text.count >= 19
        }
        for token in suspects.prefix(64) {
            var patched = bytes
            patched.replaceSubrange(token.range, with: [UInt8(ascii: "0")])
            if case .dataCorrupted(let context)? = Self.decodingError(T.self, patched), context.codingPath.isEmpty {
                continue
            }
            let (line, column) = checker.position(of: token.range.lowerBound, in: bytes)
            let text = String(decoding: bytes[token.range], as: UTF8.self)
            let field = token.path.joined(separator: ".")
            return
                "line \(line), column \(column): field '\(field)' is \(text), which does not fit: expected an integer "
                + "of at most 64 bits, or a finite number"
        }
        return nil
    }

    private static func decodingError<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) -> DecodingError? {
        do {
            _ = try sharedDecoder.decode(T.self, from: Data(bytes))
            return nil
        } catch let error as DecodingError {
            return error
        } catch {
            return nil
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
