// libFuzzer entry point for the MiniYAML parser and decoder (built by `make fuzz-yaml`, which compiles
// this file together with Sources/MiniYAML/*.swift into one module).
//
// Besides "no crash, no hang", it checks one invariant that catches silent mis-parses: the JSON printed
// for a document, read back as YAML (JSON is YAML's flow style), prints the same JSON again.

/// Decodes any document, to drive the decoder's containers.
enum AnyValue: Decodable {
    case scalar(String?)
    case list([AnyValue])
    case map([String: AnyValue])

    init(from decoder: any Decoder) throws {
        if let map = try? decoder.container(keyedBy: AnyKey.self) {
            var out: [String: AnyValue] = [:]
            for key in map.allKeys { out[key.stringValue] = try map.decode(AnyValue.self, forKey: key) }
            self = .map(out)
        } else if var list = try? decoder.unkeyedContainer() {
            var out: [AnyValue] = []
            while !list.isAtEnd { out.append(try list.decode(AnyValue.self)) }
            self = .list(out)
        } else {
            let single = try decoder.singleValueContainer()
            if single.decodeNil() {
                self = .scalar(nil)
            } else {
                _ = try? single.decode(Int.self)
                _ = try? single.decode(Double.self)
                _ = try? single.decode(Bool.self)
                self = .scalar(try single.decode(String.self))
            }
        }
    }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzYAML(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let node = try? YAMLParser.parse(bytes: bytes, fileName: "fuzz") else { return 0 }
    _ = try? YAMLDecoder().decode(AnyValue.self, from: node, fileName: "fuzz")
    let json = node.jsonText()
    do {
        let again = try YAMLParser.parse(json, fileName: "json").jsonText()
        if again != json { fatalError("JSON round trip differs:\n\(json)\n---\n\(again)") }
    } catch {
        // Two YAML keys can print as one JSON key ("1" and 1), and JSON nests one level deeper.
        if !error.message.contains("duplicate") && !error.message.contains("nesting") {
            fatalError("printed JSON does not parse: \(error)\n\(json)")
        }
    }
    return 0
}
