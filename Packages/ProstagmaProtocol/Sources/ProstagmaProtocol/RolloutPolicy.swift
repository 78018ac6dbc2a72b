#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// How a trigger's new releases reach its agents (openapi.yaml's `RolloutPolicy`): the body of
/// `PUT /v1/triggers/{name}/policy` and the answer of its `GET`.
///
/// Without a policy every agent sees a new count at once. With one, the server admits agents in waves: at most
/// ``maxParallel`` run the release at a time, ``canary`` agents go first and the rollout then pauses until it is
/// promoted or ``canarySoakSeconds`` pass, and a failed run halts it when ``haltOnFailure`` is set.
public struct RolloutPolicy: Codable, Sendable, Equatable {
    /// A cap on agents running a release at once: a count, or a percentage of the live agents watching the trigger.
    public enum MaxParallel: Sendable, Equatable, Codable, CustomStringConvertible {
        /// At most this many.
        case count(Int)
        /// At most this percentage of the live agents, rounded up, and at least 1 (`"20%"` on the wire).
        case percent(Int)

        /// The cap for `agents` live agents: the count itself, or the percentage of `agents` rounded up, at least 1.
        public func resolved(agents: Int) -> Int {
            switch self {
            case .count(let count): return max(1, count)
            case .percent(let percent): return max(1, (max(0, agents) * percent + 99) / 100)
            }
        }

        /// `N` or `N%`, as the wire writes it.
        public var description: String {
            switch self {
            case .count(let count): "\(count)"
            case .percent(let percent): "\(percent)%"
            }
        }

        /// Reads a number, or a string of digits ending in `%`. A string of another shape is a decoding error at
        /// the field, which the server answers as a 422 naming `max_parallel`.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let count = try? container.decode(Int.self) {
                self = .count(count)
                return
            }
            guard let text = try? container.decode(String.self) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "must be a count (e.g. 2) or a percentage (e.g. \"20%\")")
            }
            guard text.hasSuffix("%"), let percent = Int(text.dropLast()), text.count <= 5 else {
                throw DecodingError.dataCorruptedError(
                    in: container,
                    debugDescription: "'\(text.prefix(40))' is neither a count (e.g. 2) nor a percentage (e.g. \"20%\")"
                )
            }
            self = .percent(percent)
        }

        /// Writes a count as a number and a percentage as `"N%"`.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .count(let count): try container.encode(count)
            case .percent: try container.encode(description)
            }
        }
    }

    /// The most agents running the release at once; `nil` for no cap (every agent at once).
    public var maxParallel: MaxParallel?
    /// How many agents go first (by name); 0 for no canary phase.
    public var canary: Int
    /// After the canaries all succeeded, resume by itself after this many seconds; `nil` waits for a promote.
    public var canarySoakSeconds: Double?
    /// Whether a failed run stops further admission (default true).
    public var haltOnFailure: Bool
    /// Whether a halt rolls back to the last release whose rollout succeeded (default false).
    public var autoRollback: Bool

    /// The largest `canary` accepted.
    public static let maximumCanary = 10_000
    /// The longest `canary_soak` accepted, in seconds (a week).
    public static let maximumCanarySoakSeconds = 7 * 86_400.0

    /// Makes a policy; every field has the wire's default.
    public init(
        maxParallel: MaxParallel? = nil, canary: Int = 0, canarySoakSeconds: Double? = nil,
        haltOnFailure: Bool = true, autoRollback: Bool = false
    ) {
        self.maxParallel = maxParallel
        self.canary = canary
        self.canarySoakSeconds = canarySoakSeconds
        self.haltOnFailure = haltOnFailure
        self.autoRollback = autoRollback
    }

    enum CodingKeys: String, CodingKey {
        case canary
        case maxParallel = "max_parallel"
        case canarySoakSeconds = "canary_soak"
        case haltOnFailure = "halt_on_failure"
        case autoRollback = "auto_rollback"
    }

    /// Decodes a policy; every field may be absent (its default) or null.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        maxParallel = try c.decodeIfPresent(MaxParallel.self, forKey: .maxParallel)
        canary = try c.decodeIfPresent(Int.self, forKey: .canary) ?? 0
        canarySoakSeconds = try c.decodeIfPresent(Double.self, forKey: .canarySoakSeconds)
        haltOnFailure = try c.decodeIfPresent(Bool.self, forKey: .haltOnFailure) ?? true
        autoRollback = try c.decodeIfPresent(Bool.self, forKey: .autoRollback) ?? false
    }

    /// Encodes every field, an absent cap or soak as `null`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(maxParallel, forKey: .maxParallel)
        try c.encode(canary, forKey: .canary)
        try c.encode(canarySoakSeconds, forKey: .canarySoakSeconds)
        try c.encode(haltOnFailure, forKey: .haltOnFailure)
        try c.encode(autoRollback, forKey: .autoRollback)
    }

    /// The policy, or an error naming the first field outside its rule.
    public func validated() throws(ProtocolError) -> RolloutPolicy {
        switch maxParallel {
        case .count(let count) where count < 1:
            throw ProtocolError(.invalidField, "max_parallel: \(count) agents; it must be at least 1 (or a percentage)")
        case .percent(let percent) where percent < 1 || percent > 100:
            throw ProtocolError(.invalidField, "max_parallel: \(percent)%; a percentage must be from 1% to 100%")
        default:
            break
        }
        if canary < 0 || canary > Self.maximumCanary {
            throw ProtocolError(
                .invalidField, "canary: \(canary) agents; it must be from 0 to \(Self.maximumCanary)")
        }
        if let soak = canarySoakSeconds {
            guard soak.isFinite, soak >= 0, soak <= Self.maximumCanarySoakSeconds else {
                throw ProtocolError(
                    .invalidField,
                    "canary_soak: \(soak) seconds; it must be from 0 to \(Int(Self.maximumCanarySoakSeconds))")
            }
            if canary == 0 {
                throw ProtocolError(
                    .invalidField, "canary_soak: set without canary; a soak only follows a canary phase")
            }
        }
        return self
    }
}
