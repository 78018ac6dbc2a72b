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
        let sink = decoder.userInfo[.prostagmaWarnings] as? WarningSink
        for name in env.keys.sorted() {
            guard let reference = Self.paramReference(in: env[name]!) else { continue }
            sink?.warnings.append(
                ScriptWarning(
                    path: (container.codingPath + [AnyKey("env"), AnyKey(name)]).map(\.stringValue),
                    message: Self.notFilledIn(reference, in: "`env`")))
        }
        guard container.contains(AnyKey("steps")) else {
            throw invalid(container.codingPath, "the build script has no `steps` list")
        }
        if try container.decodeNil(forKey: AnyKey("steps")) {
            throw invalid(container.codingPath + [AnyKey("steps")], "`steps` is empty: expected a list of steps")
        }
        let steps = try container.decode([Step].self, forKey: AnyKey("steps"))
        self.init(env: env, steps: steps, warnings: sink?.warnings ?? [])
    }

    /// The first `${params.NAME}` written in `text` (its name), for fields that are not filled in.
    static func paramReference(in text: String) -> String? {
        guard let start = text.firstRange(of: "${params.") else { return nil }
        let rest = text[start.upperBound...]
        return String(rest.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
    }

    /// A warning that `${params.NAME}` stays as written in `field`, and what to write instead.
    static func notFilledIn(_ name: String, in field: String) -> String {
        let variable = name.isEmpty ? "$PROSTAGMA_PARAM_<NAME>" : "$" + ReleaseRules.environmentName(of: name)
        return "`${params.\(name)}` in \(field) is not filled in (only `url`, `dest`, `src`, `sha256` and `mode` "
            + "are): the step sees the param as \(variable)"
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
            if let reference = BuildScript.paramReference(in: command),
                let sink = decoder.userInfo[.prostagmaWarnings] as? WarningSink
            {
                sink.warnings.append(
                    ScriptWarning(
                        path: (container.codingPath + [stepKey]).map(\.stringValue),
                        message: BuildScript.notFilledIn(reference, in: "`shell`")))
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
        var templates: [FieldTemplate] = []
        switch name {
        case "download":
            let download = try Self.decodeDownload(fields, s3: false, templates: &templates)
            self.init(.download(download), timeout: timeout, templates: templates)
        case "download_s3":
            let download = try Self.decodeDownload(fields, s3: true, templates: &templates)
            self.init(.downloadS3(download), timeout: timeout, templates: templates)
        default:
            let what = "`unzip`"
            let src = try require(String.self, "src", in: fields, of: what)
            let dest = try require(String.self, "dest", in: fields, of: what)
            let srcText = try Self.literalText(src, .src, fields, &templates)
            let destText = try Self.literalText(dest, .dest, fields, &templates)
            if let srcText { try Self.nonEmpty(srcText, "src", fields) }
            if let destText { try Self.nonEmpty(destText, "dest", fields) }
            let overwrite = try optional(Bool.self, "overwrite", in: fields) ?? false
            self.init(
                .unzip(Unzip(src: srcText ?? src, dest: destText ?? dest, overwrite: overwrite)), timeout: timeout,
                templates: templates)
        }
    }

    /// Reads a field that may use `${params.NAME}`: the text with `$${` escapes applied, or nil when it uses a
    /// param, in which case the field joins `templates` and its checks wait until the run fills it in. A
    /// malformed reference is an error at the field.
    static func literalText(
        _ text: String, _ field: FieldTemplate.Field, _ fields: KeyedDecodingContainer<AnyKey>,
        _ templates: inout [FieldTemplate]
    ) throws -> String? {
        let path = fields.codingPath + [AnyKey(field.rawValue)]
        let template: ParamTemplate
        do {
            template = try ParamTemplate(parsing: text)
        } catch {
            throw invalid(path, "`\(field.rawValue)`: \(error)")
        }
        guard template.usesParams else { return (try? template.render([:]).get()) ?? text }
        templates.append(FieldTemplate(field: field, template: template, path: path.map(\.stringValue)))
        return nil
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

    static func decodeDownload(
        _ fields: KeyedDecodingContainer<AnyKey>, s3: Bool, templates: inout [FieldTemplate]
    ) throws -> Download {
        let what = s3 ? "`download_s3`" : "`download`"
        let url = try require(String.self, "url", in: fields, of: what)
        let dest = try require(String.self, "dest", in: fields, of: what)
        let urlText = try literalText(url, .url, fields, &templates)
        let destText = try literalText(dest, .dest, fields, &templates)
        if let destText { try nonEmpty(destText, "dest", fields) }
        if let urlText, let problem = FieldCheck.url(urlText, s3: s3) {
            throw invalid(fields.codingPath + [AnyKey("url")], problem)
        }
        let cache = try optional(Bool.self, "cache", in: fields) ?? false
        var sha: String?
        if let given = try optional(String.self, "sha256", in: fields),
            let text = try literalText(given, .sha256, fields, &templates)
        {
            switch FieldCheck.sha256(text) {
            case .success(let hex): sha = hex
            case .failure(let problem): throw invalid(fields.codingPath + [AnyKey("sha256")], problem.message)
            }
        }
        var mode: UInt32?
        if let given = try optional(String.self, "mode", in: fields),
            let text = try literalText(given, .mode, fields, &templates)
        {
            switch FieldCheck.mode(text) {
            case .success(let value): mode = value
            case .failure(let problem): throw invalid(fields.codingPath + [AnyKey("mode")], problem.message)
            }
        }
        return Download(url: urlText ?? url, dest: destText ?? dest, cache: cache, sha256: sha, mode: mode)
    }
}

/// The checks of the fields that may use params, shared by loading (literal text) and by the run that fills the
/// params in. Each answers what is wrong, in the words of the load-time error.
enum FieldCheck {
    /// A problem with a field's value.
    struct Problem: Error {
        var message: String
    }

    /// The problem with a download's URL, or nil: `http(s)://` for `download`, `s3://bucket/key` for `download_s3`.
    static func url(_ url: String, s3: Bool) -> String? {
        if s3 {
            guard url.hasPrefix("s3://") else { return "`download_s3` needs an s3://bucket/key URL, got `\(url)`" }
            let rest = url.dropFirst(5)
            guard let slash = rest.firstIndex(of: "/"), slash != rest.startIndex,
                rest.index(after: slash) < rest.endIndex
            else { return "`\(url)` is not s3://bucket/key" }
            return nil
        }
        let lower = url.lowercased()
        if lower.hasPrefix("s3://") { return "`\(url)` is an S3 URL: use a `download_s3` step" }
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), url.count > 8 else {
            return "`download` needs an http:// or https:// URL, got `\(url)`"
        }
        return nil
    }

    /// The checksum in lowercase, or why it is not 64 hexadecimal digits.
    static func sha256(_ given: String) -> Result<String, Problem> {
        let hex = given.lowercased()
        guard hex.utf8.count == 64,
            hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
        else { return .failure(Problem(message: "`sha256` must be 64 hexadecimal digits")) }
        return .success(hex)
    }

    /// The permission bits of `"0755"`, `0755` or `0o755`, or why the text is not an octal file mode.
    static func mode(_ text: String) -> Result<UInt32, Problem> {
        var digits = Substring(text)
        if digits.hasPrefix("0o") { digits = digits.dropFirst(2) }
        guard !digits.isEmpty, let value = UInt32(digits, radix: 8), value <= 0o7777 else {
            return .failure(Problem(message: "`mode: \(text)` is not an octal file mode like \"0755\""))
        }
        return .success(value)
    }
}
