/// A coding key that accepts any key, so decoding can list and reject unknown ones.
struct AnyKey: CodingKey, Hashable {
    var stringValue: String
    var intValue: Int?
    init(_ string: String) {
        self.stringValue = string
        self.intValue = nil
    }
    init?(stringValue: String) { self.init(stringValue) }
    init?(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

/// Collects warnings while a script decodes (the decoder may decode steps in any order, once).
final class WarningSink: @unchecked Sendable {
    // Only touched synchronously inside one `decode` call.
    var warnings: [ScriptWarning] = []
}

extension CodingUserInfoKey {
    /// Where decoding puts `ScriptWarning`s (a `WarningSink`); optional.
    static let prostagmaWarnings = CodingUserInfoKey(rawValue: "prostagma.warnings")!
}

func invalid(_ path: [any CodingKey], _ message: String) -> DecodingError {
    DecodingError.dataCorrupted(DecodingError.Context(codingPath: path, debugDescription: message))
}

/// Rejects keys of `container` not in `allowed`, naming the first unknown one and the allowed set.
func rejectUnknownKeys(_ container: KeyedDecodingContainer<AnyKey>, allowed: [String], in what: String) throws {
    for key in container.allKeys where !allowed.contains(key.stringValue) {
        let list = allowed.map { "`\($0)`" }.joined(separator: ", ")
        throw invalid(container.codingPath + [key], "unknown key `\(key.stringValue)` in \(what) (allowed: \(list))")
    }
}

func require<T: Decodable>(_ type: T.Type, _ key: String, in container: KeyedDecodingContainer<AnyKey>, of what: String)
    throws -> T
{
    let k = AnyKey(key)
    guard container.contains(k), try !container.decodeNil(forKey: k) else {
        throw invalid(container.codingPath, "\(what) is missing its `\(key)` field")
    }
    return try container.decode(T.self, forKey: k)
}

func optional<T: Decodable>(_ type: T.Type, _ key: String, in container: KeyedDecodingContainer<AnyKey>) throws -> T? {
    let k = AnyKey(key)
    guard container.contains(k), try !container.decodeNil(forKey: k) else { return nil }
    return try container.decode(T.self, forKey: k)
}

extension BuildScript: Decodable {
    /// Decodes and validates a script; see the type's documentation for what is checked.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        try rejectUnknownKeys(container, allowed: ["env", "steps"], in: "the build script")
        let env = try optional([String: String].self, "env", in: container) ?? [:]
        for name in env.keys.sorted() where !Self.isValidEnvironmentName(name) {
            throw invalid(
                container.codingPath + [AnyKey("env"), AnyKey(name)],
                "`\(name)` is not a valid environment variable name (letters, digits and _, not starting with a digit)"
            )
        }
        guard container.contains(AnyKey("steps")) else {
            throw invalid(container.codingPath, "the build script has no `steps` list")
        }
        if try container.decodeNil(forKey: AnyKey("steps")) {
            throw invalid(container.codingPath + [AnyKey("steps")], "`steps` is empty: expected a list of steps")
        }
        let steps = try container.decode([Step].self, forKey: AnyKey("steps"))
        let sink = decoder.userInfo[.prostagmaWarnings] as? WarningSink
        self.init(env: env, steps: steps, warnings: sink?.warnings ?? [])
    }

    static func isValidEnvironmentName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(first >= 0x30 && first <= 0x39) else { return false }
        return name.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F
        }
    }
}

extension Step: Decodable {
    static let stepKeys = ["shell", "download", "download_s3", "unzip"]

    /// Decodes one step: a mapping with exactly one step key and an optional `timeout`.
    ///
    /// Also accepts the shape the original README printed, where a download's fields sit beside
    /// `download:` instead of under it (`- download:` then `url:` at the same indentation); a warning says
    /// how to write it.
    public init(from decoder: any Decoder) throws {
        let container: KeyedDecodingContainer<AnyKey>
        do {
            container = try decoder.container(keyedBy: AnyKey.self)
        } catch {
            throw invalid(
                decoder.codingPath,
                "a step must be a mapping with one of `shell`, `download`, `download_s3`, `unzip`"
            )
        }
        let present = container.allKeys.filter { Self.stepKeys.contains($0.stringValue) }
        guard let stepKey = present.first else {
            if let other = container.allKeys.first(where: { $0.stringValue != "timeout" }) {
                throw invalid(
                    container.codingPath + [other],
                    "unknown step `\(other.stringValue)` (expected one of `shell`, `download`, `download_s3`, `unzip`)"
                )
            }
            throw invalid(container.codingPath, "a step needs one of `shell`, `download`, `download_s3`, `unzip`")
        }
        if present.count > 1 {
            throw invalid(
                container.codingPath + [present[1]],
                "a step has exactly one step key, found both `\(stepKey.stringValue)` and `\(present[1].stringValue)`"
            )
        }
        let timeout = try Self.decodeTimeout(container)
        let name = stepKey.stringValue
        if name == "shell" {
            try rejectUnknownKeys(container, allowed: ["shell", "timeout"], in: "a shell step")
            let command: String
            do {
                command = try container.decode(String.self, forKey: stepKey)
            } catch {
                throw invalid(container.codingPath + [stepKey], "`shell` must be a string (the command to run)")
            }
            if command.trimmingWhitespace().isEmpty {
                throw invalid(container.codingPath + [stepKey], "`shell` is empty")
            }
            self.init(.shell(command), timeout: timeout)
            return
        }
        let fields: KeyedDecodingContainer<AnyKey>
        if try container.decodeNil(forKey: stepKey) {
            // The original README's indentation: the fields are siblings of the step key.
            let own = Self.fieldNames(of: name)
            try rejectUnknownKeys(container, allowed: [name, "timeout"] + own, in: "a `\(name)` step")
            guard container.allKeys.contains(where: { own.contains($0.stringValue) }) else {
                throw invalid(
                    container.codingPath + [stepKey], "`\(name)` has no fields (expected \(Self.describe(own)))")
            }
            fields = container
            if let sink = decoder.userInfo[.prostagmaWarnings] as? WarningSink {
                sink.warnings.append(
                    ScriptWarning(
                        path: (container.codingPath + [stepKey]).map(\.stringValue),
                        message: "the fields of `\(name)` are at the step's level (the original README's "
                            + "indentation); accepted, but indent them under `\(name):`"
                    )
                )
            }
        } else {
            do {
                fields = try container.nestedContainer(keyedBy: AnyKey.self, forKey: stepKey)
            } catch {
                throw invalid(
                    container.codingPath + [stepKey],
                    "`\(name)` must be a mapping of \(Self.describe(Self.fieldNames(of: name)))")
            }
            try rejectUnknownKeys(container, allowed: [name, "timeout"], in: "a `\(name)` step")
            try rejectUnknownKeys(fields, allowed: Self.fieldNames(of: name), in: "`\(name)`")
        }
        switch name {
        case "download": self.init(.download(try Self.decodeDownload(fields, s3: false)), timeout: timeout)
        case "download_s3": self.init(.downloadS3(try Self.decodeDownload(fields, s3: true)), timeout: timeout)
        default:
            let what = "`unzip`"
            let src = try require(String.self, "src", in: fields, of: what)
            let dest = try require(String.self, "dest", in: fields, of: what)
            try Self.nonEmpty(src, "src", fields)
            try Self.nonEmpty(dest, "dest", fields)
            let overwrite = try optional(Bool.self, "overwrite", in: fields) ?? false
            self.init(.unzip(Unzip(src: src, dest: dest, overwrite: overwrite)), timeout: timeout)
        }
    }

    static func fieldNames(of step: String) -> [String] {
        switch step {
        case "download": ["url", "dest", "cache", "sha256", "mode"]
        case "download_s3": ["url", "dest", "cache"]
        default: ["src", "dest", "overwrite"]
        }
    }

    static func describe(_ fields: [String]) -> String { fields.map { "`\($0)`" }.joined(separator: ", ") }

    static func nonEmpty(_ value: String, _ key: String, _ fields: KeyedDecodingContainer<AnyKey>) throws {
        if value.isEmpty { throw invalid(fields.codingPath + [AnyKey(key)], "`\(key)` is empty") }
    }

    static func decodeTimeout(_ container: KeyedDecodingContainer<AnyKey>) throws -> Duration? {
        let key = AnyKey("timeout")
        guard container.contains(key), try !container.decodeNil(forKey: key) else { return nil }
        let text: String
        if let s = try? container.decode(String.self, forKey: key) {
            text = s
        } else if let n = try? container.decode(Int.self, forKey: key) {
            text = String(n)
        } else {
            throw invalid(container.codingPath + [key], "`timeout` must be a duration like 30s, 10m or 1h")
        }
        guard let duration = DurationParser.parse(text), duration > .zero else {
            throw invalid(
                container.codingPath + [key], "`timeout: \(text)` is not a duration (write e.g. 30s, 10m or 1h)")
        }
        return duration
    }

    static func decodeDownload(_ fields: KeyedDecodingContainer<AnyKey>, s3: Bool) throws -> Download {
        let what = s3 ? "`download_s3`" : "`download`"
        let url = try require(String.self, "url", in: fields, of: what)
        let dest = try require(String.self, "dest", in: fields, of: what)
        try nonEmpty(dest, "dest", fields)
        let urlPath = fields.codingPath + [AnyKey("url")]
        if s3 {
            guard url.hasPrefix("s3://") else {
                throw invalid(urlPath, "`download_s3` needs an s3://bucket/key URL, got `\(url)`")
            }
            let rest = url.dropFirst(5)
            guard let slash = rest.firstIndex(of: "/"), slash != rest.startIndex,
                rest.index(after: slash) < rest.endIndex
            else { throw invalid(urlPath, "`\(url)` is not s3://bucket/key") }
        } else {
            let lower = url.lowercased()
            if lower.hasPrefix("s3://") {
                throw invalid(urlPath, "`\(url)` is an S3 URL: use a `download_s3` step")
            }
            guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), url.count > 8 else {
                throw invalid(urlPath, "`download` needs an http:// or https:// URL, got `\(url)`")
            }
        }
        let cache = try optional(Bool.self, "cache", in: fields) ?? false
        var sha: String?
        if let given = try optional(String.self, "sha256", in: fields) {
            let hex = given.lowercased()
            guard hex.utf8.count == 64,
                hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
            else {
                throw invalid(fields.codingPath + [AnyKey("sha256")], "`sha256` must be 64 hexadecimal digits")
            }
            sha = hex
        }
        var mode: UInt32?
        if let text = try optional(String.self, "mode", in: fields) {
            var digits = Substring(text)
            if digits.hasPrefix("0o") { digits = digits.dropFirst(2) }
            guard !digits.isEmpty, let value = UInt32(digits, radix: 8), value <= 0o7777 else {
                throw invalid(
                    fields.codingPath + [AnyKey("mode")], "`mode: \(text)` is not an octal file mode like \"0755\"")
            }
            mode = value
        }
        return Download(url: url, dest: dest, cache: cache, sha256: sha, mode: mode)
    }
}
