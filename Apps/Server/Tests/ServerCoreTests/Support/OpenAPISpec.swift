import Foundation
import MiniYAML
import ProstagmaProtocol

@testable import ServerCore

/// The served OpenAPI document as JSON values, with a small JSON Schema checker and a sample maker for the subset of
/// JSON Schema the document uses (`$ref`, `type` with `null`, `required`, `properties`, `items`, `enum`, `const`,
/// `oneOf`, `minimum`, `maximum`, `exclusiveMinimum`, `minLength`, `maxLength`, `pattern`, `format: date-time`, and for maps
/// `additionalProperties` as a schema, `maxProperties`, `propertyNames`).
///
/// A keyword the checker does not know fails the check rather than passing silently, so the document cannot grow a
/// rule the tests ignore. It is stricter than JSON Schema in one way: an object key its schema does not list is a
/// violation even without `additionalProperties: false` (the document lists every field the server sends).
struct OpenAPISpec: Sendable {
    /// The whole document.
    let root: JSONValue

    static let served: OpenAPISpec = {
        let node = try! YAMLParser.parse(ServerRoutes.openAPIDocument, fileName: "openapi.yaml")
        return OpenAPISpec(root: try! JSONValue.parse(Array(node.jsonText().utf8)))
    }()

    /// `components.schemas`.
    var schemas: [String: JSONValue] { root["components"]?["schemas"]?.object ?? [:] }

    /// The named schema.
    func schema(named name: String) -> JSONValue {
        guard let schema = schemas[name] else { fatalError("openapi.yaml has no schema \(name)") }
        return schema
    }

    /// The JSON schema of `method path`'s answer with `status`, if the document gives one.
    func responseSchema(_ method: String, _ path: String, status: Int) -> JSONValue? {
        guard var response = operation(method, path)?["responses"]?[String(status)] else { return nil }
        if let ref = response["$ref"]?.string { response = resolve(ref) }
        return response["content"]?["application/json"]?["schema"]
    }

    /// Whether `method path` documents `status` at all.
    func documents(_ method: String, _ path: String, status: Int) -> Bool {
        operation(method, path)?["responses"]?[String(status)] != nil
    }

    /// The JSON schema of `method path`'s request body, if it takes one.
    func requestSchema(_ method: String, _ path: String) -> JSONValue? {
        operation(method, path)?["requestBody"]?["content"]?["application/json"]?["schema"]
    }

    func operation(_ method: String, _ path: String) -> JSONValue? {
        root["paths"]?[path]?[method.lowercased()]
    }

    func resolve(_ ref: String) -> JSONValue {
        var node = root
        for part in ref.dropFirst(2).split(separator: "/") {
            guard let next = node[String(part)] else { fatalError("unresolvable \(ref)") }
            node = next
        }
        return node
    }

    // MARK: - Checking

    static let knownKeywords: Set<String> = [
        "$ref", "type", "required", "properties", "items", "enum", "const", "oneOf", "minimum", "maximum",
        "exclusiveMinimum", "minLength", "maxLength", "pattern", "format", "description", "examples", "default",
        "additionalProperties", "maxProperties", "propertyNames", "if", "then",
    ]

    static func types(_ schema: JSONValue) -> [String] {
        if let list = schema["type"]?.array { return list.compactMap(\.string) }
        return schema["type"]?.string.map { [$0] } ?? []
    }

    /// Every way `value` breaks `schema`, each with its JSON path; empty when it conforms.
    func violations(of value: JSONValue, against schema: JSONValue, at path: String = "$") -> [String] {
        if let ref = schema["$ref"]?.string { return violations(of: value, against: resolve(ref), at: path) }
        var problems = Set(schema.object?.keys.map { $0 } ?? []).subtracting(Self.knownKeywords).sorted().map {
            "\(path): the schema uses '\($0)', which the checker does not know"
        }
        if let condition = schema["if"], let consequence = schema["then"],
            violations(of: value, against: condition, at: path).isEmpty
        {
            problems += violations(of: value, against: consequence, at: path)
        }
        if let alternatives = schema["oneOf"]?.array {
            let matching = alternatives.filter { violations(of: value, against: $0, at: path).isEmpty }.count
            if matching != 1 { problems.append("\(path): matches \(matching) of oneOf's \(alternatives.count)") }
        }
        let types = Self.types(schema)
        if !types.isEmpty, !types.contains(where: { Self.value(value, is: $0) }) {
            return problems + ["\(path): \(value) is not of type \(types.joined(separator: "|"))"]
        }
        if let allowed = schema["enum"]?.array, !allowed.contains(value) {
            problems.append("\(path): \(value) is not one of \(allowed)")
        }
        if let constant = schema["const"], constant != value {
            problems.append("\(path): \(value) is not \(constant)")
        }
        if case .string(let text) = value {
            if let limit = schema["minLength"]?.number, Double(text.count) < limit {
                problems.append("\(path): \(text.count) characters, under minLength \(limit)")
            }
            if let limit = schema["maxLength"]?.number, Double(text.count) > limit {
                problems.append("\(path): \(text.count) characters, over maxLength \(limit)")
            }
            if let pattern = schema["pattern"]?.string, text.range(of: pattern, options: .regularExpression) == nil {
                problems.append("\(path): '\(text)' does not match \(pattern)")
            }
            if schema["format"]?.string == "date-time", Timestamp.parse(text) == nil {
                problems.append("\(path): '\(text)' is not a date-time")
            }
        }
        if let number = value.number {
            if let minimum = schema["minimum"]?.number, number < minimum {
                problems.append("\(path): \(number) is below the minimum \(minimum)")
            }
            if let maximum = schema["maximum"]?.number, number > maximum {
                problems.append("\(path): \(number) is above the maximum \(maximum)")
            }
            if let bound = schema["exclusiveMinimum"]?.number, number <= bound {
                problems.append("\(path): \(number) is not above \(bound)")
            }
        }
        if case .object(let object) = value {
            for key in schema["required"]?.array?.compactMap(\.string) ?? [] where object[key] == nil {
                problems.append("\(path): lacks the required '\(key)'")
            }
            if let limit = schema["maxProperties"]?.number, Double(object.count) > limit {
                problems.append("\(path): \(object.count) keys, over maxProperties \(limit)")
            }
            if let names = schema["propertyNames"] {
                for key in object.keys.sorted() {
                    problems += violations(of: .string(key), against: names, at: "\(path) (key '\(key)')")
                }
            }
            let properties = schema["properties"]?.object ?? [:]
            let additional = schema["additionalProperties"]
            for (key, child) in object.sorted(by: { $0.key < $1.key }) {
                if let property = properties[key] {
                    problems += violations(of: child, against: property, at: "\(path).\(key)")
                } else if let additional, additional.object != nil {
                    problems += violations(of: child, against: additional, at: "\(path).\(key)")
                } else if !properties.isEmpty || additional == .bool(false) {
                    problems.append("\(path): has '\(key)', which the schema does not list")
                }
            }
        }
        if case .array(let array) = value, let items = schema["items"] {
            for (index, item) in array.enumerated() {
                problems += violations(of: item, against: items, at: "\(path)[\(index)]")
            }
        }
        return problems
    }

    /// The violations of a JSON text.
    func violations(ofJSON bytes: [UInt8], against schema: JSONValue) -> [String] {
        guard let value = try? JSONValue.parse(bytes) else {
            return ["$: the body is not JSON: \(String(decoding: bytes.prefix(200), as: UTF8.self))"]
        }
        return violations(of: value, against: schema)
    }

    // MARK: - Samples

    /// A value shaped by `schema`: with every property and non-null values (`full`), or only the required
    /// properties and nulls where allowed.
    func sample(of schema: JSONValue, full: Bool) -> JSONValue {
        if let ref = schema["$ref"]?.string { return sample(of: resolve(ref), full: full) }
        if let alternatives = schema["oneOf"]?.array, let first = alternatives.first {
            let null = alternatives.first { Self.types($0) == ["null"] }
            return full || null == nil ? sample(of: first, full: full) : .null
        }
        if let constant = schema["const"] { return constant }
        if let allowed = schema["enum"]?.array, let last = allowed.last { return last }
        let types = Self.types(schema)
        let type = (full ? types.first { $0 != "null" } : types.first { $0 == "null" }) ?? types.first ?? "object"
        switch type {
        case "null": return .null
        case "boolean": return .bool(true)
        case "integer": return .int(Int64(max(schema["minimum"]?.number ?? 7, 0)))
        case "number": return .double(1.5)
        case "string":
            if schema["format"]?.string == "date-time" { return .string("2026-11-25T10:00:00.123Z") }
            if schema["pattern"]?.string?.contains("0-9a-f") == true {
                return .string(String(repeating: "ab", count: 32))
            }
            return .string("text")
        case "array":
            guard let items = schema["items"] else { return .array([]) }
            return .array(full ? [sample(of: items, full: full)] : [])
        default:
            let required = Set(schema["required"]?.array?.compactMap(\.string) ?? [])
            var object: [String: JSONValue] = [:]
            for (key, property) in schema["properties"]?.object ?? [:] where full || required.contains(key) {
                object[key] = sample(of: property, full: full)
            }
            // An `if` the sample meets: its `then` properties decide (a canary_soak needs a canary of 1 or more).
            if let condition = schema["if"], violations(of: .object(object), against: condition).isEmpty {
                for (key, property) in schema["then"]?["properties"]?.object ?? [:] {
                    object[key] = sample(of: property, full: full)
                }
            }
            return .object(object)
        }
    }

    static func value(_ value: JSONValue, is type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("string", .string), ("object", .object), ("array", .array), ("boolean", .bool),
            ("integer", .int), ("number", .int), ("number", .double):
            return true
        case ("integer", .double(let number)):
            return number.rounded() == number
        default:
            return false
        }
    }
}
