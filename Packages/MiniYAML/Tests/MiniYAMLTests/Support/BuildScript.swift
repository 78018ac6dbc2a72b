/// A build script like the agent's, to exercise the decoder the way the agent will.
struct BuildScript: Decodable, Equatable {
    var env: [String: String]?
    var steps: [Step]
}

struct Download: Decodable, Equatable {
    var url: String
    var dest: String
    var cache: Bool?
    var mode: String?
    var retries: Int?
    var ratio: Double?
}

/// A mapping with exactly one of several keys, plus optional `timeout`.
enum Step: Decodable, Equatable {
    case shell(String, timeout: String?)
    case download(Download, timeout: String?)

    enum Keys: String, CodingKey { case shell, download, timeout }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        let kinds = container.allKeys.filter { $0 != .timeout }
        guard kinds.count == 1 else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "a step needs exactly one of shell, download"))
        }
        let timeout = try container.decodeIfPresent(String.self, forKey: .timeout)
        switch kinds[0] {
        case .shell: self = .shell(try container.decode(String.self, forKey: .shell), timeout: timeout)
        default: self = .download(try container.decode(Download.self, forKey: .download), timeout: timeout)
        }
    }
}
