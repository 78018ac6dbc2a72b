/// A build script: environment variables for every step and the steps, run top to bottom.
///
/// Decoding validates everything a run would trip over later: exactly one step key per step, no unknown
/// keys, required fields present, URLs, checksums, modes and timeouts well-formed. Errors are
/// `DecodingError`s whose coding path points at the offending key, which `ScriptLoader` turns into
/// `FILE:LINE:COL: message`.
public struct BuildScript: Sendable, Equatable {
    /// Variables added to every step's environment (after the agent's own, before `PROSTAGMA_*`).
    public var env: [String: String]
    /// The steps, in order.
    public var steps: [Step]
    /// Non-fatal remarks found while decoding (e.g. the original README's indentation), with their path.
    public var warnings: [ScriptWarning]

    /// Makes a script from its parts.
    public init(env: [String: String] = [:], steps: [Step], warnings: [ScriptWarning] = []) {
        self.env = env
        self.steps = steps
        self.warnings = warnings
    }
}

/// A remark about a script that does not stop it from running, located by its coding path.
public struct ScriptWarning: Sendable, Equatable {
    /// The keys and indexes leading to the remark's node.
    public var path: [String]
    /// What was noticed and what to do about it.
    public var message: String
}

/// One step of a build script, with its optional timeout.
public struct Step: Sendable, Equatable {
    /// What the step does.
    public enum Action: Sendable, Equatable {
        /// Run `command` with `$SHELL -e -c command`.
        case shell(String)
        /// Fetch an HTTP(S) URL through the server into a file.
        case download(Download)
        /// Fetch an `s3://` object through the server into a file.
        case downloadS3(Download)
        /// Extract a zip archive.
        case unzip(Unzip)
    }

    /// What the step does.
    public var action: Action
    /// The longest the step may take; past it the step fails (a shell step's process group is killed).
    public var timeout: Duration?
    /// The fields written with `${params.NAME}`, filled in from the release at the start of each run
    /// (``BuildScript/resolved(params:)``); until then ``action`` holds their text as written (`sha256` and
    /// `mode` nil).
    public var templates: [FieldTemplate]

    /// Makes a step.
    public init(_ action: Action, timeout: Duration? = nil, templates: [FieldTemplate] = []) {
        self.action = action
        self.timeout = timeout
        self.templates = templates
    }

    /// The step key as written in scripts and reported to the server: `shell`, `download`, `download_s3`,
    /// `unzip`.
    public var kind: String {
        switch action {
        case .shell: "shell"
        case .download: "download"
        case .downloadS3: "download_s3"
        case .unzip: "unzip"
        }
    }
}

/// The fields of a `download` or `download_s3` step.
public struct Download: Sendable, Equatable {
    /// The artifact's URL: `http(s)://` for `download`, `s3://bucket/key` for `download_s3`.
    public var url: String
    /// Where the file is placed (renamed into place once complete and verified).
    public var dest: String
    /// Whether the server may serve a copy it already has.
    public var cache: Bool
    /// The expected SHA-256 (lowercase hex), checked before the file is placed.
    public var sha256: String?
    /// Permission bits given to the file (e.g. `0o755`).
    public var mode: UInt32?

    /// Makes a download description.
    public init(url: String, dest: String, cache: Bool = false, sha256: String? = nil, mode: UInt32? = nil) {
        self.url = url
        self.dest = dest
        self.cache = cache
        self.sha256 = sha256
        self.mode = mode
    }
}

/// The fields of an `unzip` step.
public struct Unzip: Sendable, Equatable {
    /// The archive.
    public var src: String
    /// The directory to extract into (created if missing).
    public var dest: String
    /// Whether existing files are replaced; when false an existing file fails the step.
    public var overwrite: Bool

    /// Makes an unzip description.
    public init(src: String, dest: String, overwrite: Bool = false) {
        self.src = src
        self.dest = dest
        self.overwrite = overwrite
    }
}

/// A step field that uses `${params.NAME}`: which field, its template, and where it is written.
public struct FieldTemplate: Sendable, Equatable {
    /// The fields that may use params.
    public enum Field: String, Sendable, Equatable, CaseIterable {
        /// `url` of `download` and `download_s3`.
        case url
        /// `dest` of every step that has one.
        case dest
        /// `src` of `unzip`.
        case src
        /// `sha256` of `download`.
        case sha256
        /// `mode` of `download`.
        case mode
    }

    /// Which field.
    public var field: Field
    /// Its text.
    public var template: ParamTemplate
    /// The keys and indexes leading to the field's key (`["steps", "0", "download", "url"]`).
    public var path: [String]
    /// `FILE:LINE:COL` of the field's key, set by ``ScriptLoader``; nil for a script built in code.
    public var location: String?

    /// Makes a field template.
    public init(field: Field, template: ParamTemplate, path: [String], location: String? = nil) {
        self.field = field
        self.template = template
        self.path = path
        self.location = location
    }

    /// Where the field is, for messages: `FILE:LINE:COL` or the key path.
    public var whereWritten: String { location ?? path.joined(separator: ".") }
}
