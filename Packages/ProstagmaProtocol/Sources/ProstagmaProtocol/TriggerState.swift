#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A trigger's committed state (openapi.yaml's `TriggerState`): the answer of the v1 trigger routes, one entry of
/// `GET /v1/triggers`, and the server's own record of a trigger.
public struct TriggerState: Codable, Sendable, Equatable {
    /// The trigger's name.
    public var trigger: String
    /// How many times it was incremented since the database was created (0 for an unknown trigger).
    public var count: Int64
    /// The server database's epoch the count belongs to; `nil` where the server has not said (its own records).
    public var epoch: String?
    /// When it was last incremented; `nil` if never.
    public var lastIncrement: Date?
    /// The release the count made (what to deploy); `nil` for count 0, and from servers without releases.
    public var release: Release?

    /// Makes a state.
    public init(
        trigger: String, count: Int64, epoch: String? = nil, lastIncrement: Date? = nil, release: Release? = nil
    ) {
        self.trigger = trigger
        self.count = count
        self.epoch = epoch
        self.lastIncrement = lastIncrement
        self.release = release
    }

    /// This state as the server answers it, with its epoch.
    public func with(epoch: String) -> TriggerState {
        var state = self
        state.epoch = epoch
        return state
    }

    enum CodingKeys: String, CodingKey {
        case trigger, count, epoch, release
        case lastIncrement = "last_increment"
    }

    /// Decodes a state; `epoch`, `last_increment` and `release` may be absent.
    public init(from decoder: any Decoder) throws {
        self = try Self.decode(from: decoder, keepingReleaseError: false).state
    }

    /// A state whose release may not read (a newer server's field this side does not know): the rest of the state,
    /// and why the release did not read. An agent decodes its long poll's answer this way, so that the count's run
    /// fails saying why, instead of every poll failing.
    public struct Lenient: Decodable, Sendable {
        /// The state, without its release when that did not read.
        public var state: TriggerState
        /// Why `release` did not read; nil when it did (or was absent).
        public var releaseError: String?

        /// Decodes a state, keeping a release that does not read as `releaseError`.
        public init(from decoder: any Decoder) throws {
            (state, releaseError) = try TriggerState.decode(from: decoder, keepingReleaseError: true)
        }
    }

    private static func decode(
        from decoder: any Decoder, keepingReleaseError: Bool
    ) throws -> (state: TriggerState, releaseError: String?) {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var state = TriggerState(
            trigger: try c.decode(String.self, forKey: .trigger),
            count: try c.decode(Int64.self, forKey: .count),
            epoch: try c.decodeIfPresent(String.self, forKey: .epoch),
            lastIncrement: try c.decodeTimestampIfPresent(forKey: .lastIncrement))
        do {
            state.release = try c.decodeIfPresent(Release.self, forKey: .release)
        } catch  where keepingReleaseError {
            return (state, "\(error)")
        }
        return (state, nil)
    }

    /// Encodes the state; `epoch` and `release` only when known, `last_increment` always (`null` if never).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(trigger, forKey: .trigger)
        try c.encode(count, forKey: .count)
        try c.encodeIfPresent(epoch, forKey: .epoch)
        try c.encode(lastIncrement.map(Timestamp.format), forKey: .lastIncrement)
        try c.encodeIfPresent(release, forKey: .release)
    }
}
