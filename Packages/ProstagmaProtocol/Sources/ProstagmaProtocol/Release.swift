#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Who asked for a release (openapi.yaml's `ReleaseSource`).
///
/// A struct over the wire text, as ``RunStatus``: a release from a newer server with a source this build does not
/// know still decodes and is shown as it is.
public struct ReleaseSource: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    /// The wire text.
    public let rawValue: String

    /// Wraps a wire text.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Wraps a wire text written as a literal.
    public init(stringLiteral value: String) { self.rawValue = value }

    /// `POST /v1/triggers/{name}` with the secret or a token (CI, `prostagma-agent trigger`, a rollback).
    public static let api = ReleaseSource(rawValue: "api")
    /// A push webhook signed with `X-Hub-Signature-256` from GitHub.
    public static let github = ReleaseSource(rawValue: "github")
    /// A push webhook signed with `X-Hub-Signature-256` from Gitea (it sends `X-Gitea-Event`).
    public static let gitea = ReleaseSource(rawValue: "gitea")
    /// A push webhook carrying `X-Gitlab-Token`.
    public static let gitlab = ReleaseSource(rawValue: "gitlab")
    /// The original protocol's `POST /trigger`.
    public static let compat = ReleaseSource(rawValue: "compat")

    /// The wire text. (Codable comes from `RawRepresentable`: a bare JSON string.)
    public var description: String { rawValue }
}

/// What a forge's push webhook said about the push that made a release (openapi.yaml's `ForgePush`).
public struct ForgePush: Codable, Sendable, Equatable {
    /// The pushed ref, e.g. `refs/heads/main`.
    public var ref: String?
    /// The commit the ref now points at (GitHub/Gitea `after` or `head_commit.id`; GitLab `checkout_sha` or
    /// `after`).
    public var commit: String?
    /// Who pushed (GitHub/Gitea `pusher.name`; GitLab `user_username`).
    public var pusher: String?

    /// Makes a push record.
    public init(ref: String? = nil, commit: String? = nil, pusher: String? = nil) {
        self.ref = ref
        self.commit = commit
        self.pusher = pusher
    }
}

/// How the runs of one release went across the agents that reported (openapi.yaml's `ReleaseOutcome`): each
/// agent's newest run for the release counts once.
public struct ReleaseOutcome: Codable, Sendable, Equatable {
    /// Agents whose run succeeded.
    public var succeeded: Int
    /// Agents whose run failed.
    public var failed: Int
    /// Agents whose run was cancelled.
    public var cancelled: Int

    /// Makes an outcome.
    public init(succeeded: Int = 0, failed: Int = 0, cancelled: Int = 0) {
        self.succeeded = succeeded
        self.failed = failed
        self.cancelled = cancelled
    }

    /// No agent reported a run of the release.
    public var isEmpty: Bool { succeeded == 0 && failed == 0 && cancelled == 0 }
}

/// One immutable release of a trigger (openapi.yaml's `Release`): what count N deploys.
///
/// Every increment makes one, in the same transaction as the count. The long-poll answer carries it to the
/// agents, whose steps see its params as `PROSTAGMA_PARAM_<NAME>` and `${params.NAME}`.
public struct Release: Codable, Sendable, Equatable {
    /// The trigger.
    public var trigger: String
    /// The count this release made.
    public var count: Int64
    /// The parameters CI gave (names ``ReleaseRules/paramNamePattern``); empty when none.
    public var params: [String: String]
    /// A free-text note (at most ``ReleaseRules/maxNoteBytes``).
    public var note: String?
    /// Who asked for it.
    public var source: ReleaseSource
    /// The name of the credential that asked (a token's name, `secret` for the shared secret), where known.
    public var requestedBy: String?
    /// What the forge said about the push, for webhook releases.
    public var forge: ForgePush?
    /// The count whose params this release re-deploys, for a rollback.
    public var rollbackOf: Int64?
    /// When it was made.
    public var createdAt: Date
    /// How its runs went, in the history answers (`GET .../releases`); absent elsewhere.
    public var outcome: ReleaseOutcome?

    /// Makes a release.
    public init(
        trigger: String, count: Int64, params: [String: String] = [:], note: String? = nil,
        source: ReleaseSource, requestedBy: String? = nil, forge: ForgePush? = nil, rollbackOf: Int64? = nil,
        createdAt: Date, outcome: ReleaseOutcome? = nil
    ) {
        self.trigger = trigger
        self.count = count
        self.params = params
        self.note = note
        self.source = source
        self.requestedBy = requestedBy
        self.forge = forge
        self.rollbackOf = rollbackOf
        self.createdAt = createdAt
        self.outcome = outcome
    }

    enum CodingKeys: String, CodingKey {
        case trigger, count, params, note, source, forge, outcome
        case requestedBy = "requested_by"
        case rollbackOf = "rollback_of"
        case createdAt = "created_at"
    }

    /// Decodes a release; `params` may be absent (empty), and so may every optional field.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        trigger = try c.decode(String.self, forKey: .trigger)
        count = try c.decode(Int64.self, forKey: .count)
        params = try c.decodeIfPresent([String: String].self, forKey: .params) ?? [:]
        note = try c.decodeIfPresent(String.self, forKey: .note)
        source = try c.decode(ReleaseSource.self, forKey: .source)
        requestedBy = try c.decodeIfPresent(String.self, forKey: .requestedBy)
        forge = try c.decodeIfPresent(ForgePush.self, forKey: .forge)
        rollbackOf = try c.decodeIfPresent(Int64.self, forKey: .rollbackOf)
        createdAt = try c.decodeTimestamp(forKey: .createdAt)
        outcome = try c.decodeIfPresent(ReleaseOutcome.self, forKey: .outcome)
    }

    /// Encodes every field, absent optional ones as `null`, except `outcome`, which is only written when known.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(trigger, forKey: .trigger)
        try c.encode(count, forKey: .count)
        try c.encode(params, forKey: .params)
        try c.encode(note, forKey: .note)
        try c.encode(source, forKey: .source)
        try c.encode(requestedBy, forKey: .requestedBy)
        try c.encode(forge, forKey: .forge)
        try c.encode(rollbackOf, forKey: .rollbackOf)
        try c.encode(Timestamp.format(createdAt), forKey: .createdAt)
        try c.encodeIfPresent(outcome, forKey: .outcome)
    }
}

/// One page of a trigger's release history, newest first (the answer of `GET /v1/triggers/{name}/releases`).
public struct ReleaseList: Codable, Sendable, Equatable {
    /// The releases, newest (highest count) first.
    public var releases: [Release]
    /// Pass as `?before=` for the next, older page; `null` on the last page.
    public var nextBefore: Int64?

    /// Makes a page.
    public init(releases: [Release], nextBefore: Int64?) {
        self.releases = releases
        self.nextBefore = nextBefore
    }

    enum CodingKeys: String, CodingKey {
        case releases
        case nextBefore = "next_before"
    }

    /// Decodes a page; `next_before` may be absent.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        releases = try c.decode([Release].self, forKey: .releases)
        nextBefore = try c.decodeIfPresent(Int64.self, forKey: .nextBefore)
    }

    /// Encodes both fields, `next_before` as `null` on the last page.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(releases, forKey: .releases)
        try c.encode(nextBefore, forKey: .nextBefore)
    }
}

/// The optional body of `POST /v1/triggers/{name}` (openapi.yaml's `IncrementRequest`).
public struct IncrementRequest: Codable, Sendable, Equatable {
    /// The release's parameters.
    public var params: [String: String]
    /// A note for the history.
    public var note: String?

    /// Makes a request.
    public init(params: [String: String] = [:], note: String? = nil) {
        self.params = params
        self.note = note
    }

    enum CodingKeys: String, CodingKey {
        case params, note
    }

    /// Decodes a request; both fields may be absent. A param value that is not a string fails here, with the
    /// decoder's path naming it.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        params = try c.decodeIfPresent([String: String].self, forKey: .params) ?? [:]
        note = try c.decodeIfPresent(String.self, forKey: .note)
    }

    /// Encodes `params` always and `note` when set.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(params, forKey: .params)
        try c.encodeIfPresent(note, forKey: .note)
    }

    /// The request, or an error naming the offending param or the note (``ReleaseRules``).
    public func validated() throws(ProtocolError) -> IncrementRequest {
        try ReleaseRules.validate(params: params)
        try ReleaseRules.validate(note: note)
        return self
    }
}

/// The body of `POST /v1/triggers/{name}/rollback` (openapi.yaml's `RollbackRequest`): `{"to": N}` or
/// `{"to": "previous"}`.
public struct RollbackRequest: Codable, Sendable, Equatable {
    /// Which release to go back to.
    public enum Target: Sendable, Equatable, CustomStringConvertible {
        /// The release with this count.
        case count(Int64)
        /// The newest release before the current one whose runs all succeeded.
        case previous

        /// `N` or `previous`, as an operator writes it.
        public var description: String {
            switch self {
            case .count(let count): "\(count)"
            case .previous: "previous"
            }
        }

        /// Reads `N` or `previous` (the command line's `--to`); nil for anything else.
        public init?(_ text: String) {
            if text == "previous" {
                self = .previous
            } else if let count = Int64(text), count > 0 {
                self = .count(count)
            } else {
                return nil
            }
        }
    }

    /// Which release to go back to.
    public var to: Target
    /// A note for the history; the server writes one naming the rollback when absent.
    public var note: String?

    /// Makes a request.
    public init(to: Target, note: String? = nil) {
        self.to = to
        self.note = note
    }

    enum CodingKeys: String, CodingKey {
        case to, note
    }

    /// Decodes `to` as a positive integer or the string `previous`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let count = try? c.decode(Int64.self, forKey: .to) {
            guard count > 0 else {
                throw DecodingError.dataCorruptedError(
                    forKey: .to, in: c, debugDescription: "\"to\" must be a count of at least 1 or \"previous\"")
            }
            to = .count(count)
        } else if let text = try? c.decode(String.self, forKey: .to), text == "previous" {
            to = .previous
        } else {
            throw DecodingError.dataCorruptedError(
                forKey: .to, in: c, debugDescription: "\"to\" must be a count of at least 1 or \"previous\"")
        }
        note = try c.decodeIfPresent(String.self, forKey: .note)
    }

    /// Encodes `to` as a number or `"previous"`, and `note` when set.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch to {
        case .count(let count): try c.encode(count, forKey: .to)
        case .previous: try c.encode("previous", forKey: .to)
        }
        try c.encodeIfPresent(note, forKey: .note)
    }
}

/// The rules a release's params and note follow, shared by the server (which refuses with 422) and the agent's
/// `trigger --param` (which refuses before sending).
public enum ReleaseRules {
    /// At most this many params.
    public static let maxParams = 32
    /// A param value's size limit, in UTF-8 bytes.
    public static let maxValueBytes = 4096
    /// A note's size limit, in UTF-8 bytes.
    public static let maxNoteBytes = 1024
    /// The param name rule, as openapi.yaml writes it.
    public static let paramNamePattern = "^[A-Za-z_][A-Za-z0-9_]{0,63}$"

    /// Whether `name` follows `[A-Za-z_][A-Za-z0-9_]{0,63}`.
    public static func isValidParamName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 64 else { return false }
        func isLetter(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F }
        return isLetter(first) && bytes.dropFirst().allSatisfy { isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    /// Checks every param; the error names the first offending one (in name order, so the message is stable).
    public static func validate(params: [String: String]) throws(ProtocolError) {
        if params.count > maxParams {
            throw ProtocolError(.invalidField, "params: \(params.count) params, at most \(maxParams) are allowed")
        }
        for name in params.keys.sorted() {
            guard isValidParamName(name) else {
                throw ProtocolError(
                    .invalidField,
                    "params.\(quoted(name)): a param name must match [A-Za-z_][A-Za-z0-9_]{0,63}")
            }
            let variable = environmentName(of: name)
            if let other = params.keys.sorted().first(where: { $0 != name && environmentName(of: $0) == variable }) {
                throw ProtocolError(
                    .invalidField,
                    "params.\(name): differs from params.\(other) only in case; steps would see both as \(variable)")
            }
            let size = params[name]!.utf8.count
            if size > maxValueBytes {
                throw ProtocolError(
                    .invalidField, "params.\(name): the value is \(size) bytes, at most \(maxValueBytes) are allowed")
            }
        }
    }

    /// Checks the note's size.
    public static func validate(note: String?) throws(ProtocolError) {
        guard let size = note?.utf8.count, size > maxNoteBytes else { return }
        throw ProtocolError(.invalidField, "note: \(size) bytes, at most \(maxNoteBytes) are allowed")
    }

    /// The environment variable a step sees a param as: `PROSTAGMA_PARAM_` and the name upper-cased.
    public static func environmentName(of param: String) -> String {
        "PROSTAGMA_PARAM_" + param.uppercased()
    }

    /// A name as the error shows it: printable, and cut short when long.
    private static func quoted(_ name: String) -> String {
        let shown = name.count > 80 ? String(name.prefix(80)) + "…" : name
        return "\"" + shown.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 ? String($0) : "?" }.joined() + "\""
    }
}
