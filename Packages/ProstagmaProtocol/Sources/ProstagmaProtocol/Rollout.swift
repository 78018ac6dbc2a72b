#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Where a rollout stands (openapi.yaml's `RolloutState`).
public enum RolloutState: String, Codable, Sendable, CaseIterable {
    /// Agents are being admitted.
    case running
    /// No agent is admitted until a `resume` or `promote` (or the canary soak passes).
    case paused
    /// A run failed and `halt_on_failure` is set: no agent is admitted until a `resume` or a new release.
    case halted
    /// Every agent of the rollout finished and none failed.
    case succeeded
    /// An operator stopped it; agents that were not admitted stay on their previous release.
    case aborted
}

/// One agent's place in a rollout (openapi.yaml's `RolloutPlace`).
public enum RolloutPlace: String, Codable, Sendable, CaseIterable {
    /// Not admitted yet: its long poll still shows its previous release.
    case waiting
    /// Admitted: its long poll shows the release; its run report is awaited.
    case admitted
    /// Reported a succeeded run of the release.
    case succeeded
    /// Reported a failed or cancelled run of the release.
    case failed
    /// Silent past the rollout's deadline; not counted as a success, and its slot is free.
    case gone
}

/// One agent of a rollout (openapi.yaml's `RolloutAgent`).
public struct RolloutAgent: Codable, Sendable, Equatable {
    /// The agent's name.
    public var name: String
    /// Where it stands.
    public var place: RolloutPlace
    /// Whether it is one of the canaries.
    public var canary: Bool
    /// When it was admitted; `nil` while it waits.
    public var admittedAt: Date?
    /// When its run report arrived, or when it was declared gone.
    public var finishedAt: Date?

    /// Makes an entry.
    public init(
        name: String, place: RolloutPlace, canary: Bool = false, admittedAt: Date? = nil, finishedAt: Date? = nil
    ) {
        self.name = name
        self.place = place
        self.canary = canary
        self.admittedAt = admittedAt
        self.finishedAt = finishedAt
    }

    enum CodingKeys: String, CodingKey {
        case name, place, canary
        case admittedAt = "admitted_at"
        case finishedAt = "finished_at"
    }

    /// Decodes an entry; `canary` and the times may be absent.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        place = try c.decode(RolloutPlace.self, forKey: .place)
        canary = try c.decodeIfPresent(Bool.self, forKey: .canary) ?? false
        admittedAt = try c.decodeTimestampIfPresent(forKey: .admittedAt)
        finishedAt = try c.decodeTimestampIfPresent(forKey: .finishedAt)
    }

    /// Encodes every field, absent times as `null`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(place, forKey: .place)
        try c.encode(canary, forKey: .canary)
        try c.encode(admittedAt.map(Timestamp.format), forKey: .admittedAt)
        try c.encode(finishedAt.map(Timestamp.format), forKey: .finishedAt)
    }
}

/// A trigger's newest rollout (openapi.yaml's `Rollout`): the answer of `GET /v1/triggers/{name}/rollout` and of
/// its control routes.
public struct Rollout: Codable, Sendable, Equatable {
    /// The trigger.
    public var trigger: String
    /// The release's count.
    public var count: Int64
    /// Where it stands.
    public var state: RolloutState
    /// The policy it runs under (the trigger's policy when the release was made).
    public var policy: RolloutPolicy
    /// The agent whose failed run halted it; `nil` unless halted by a failure.
    public var haltedBy: String?
    /// Every agent of the rollout, by name.
    public var agents: [RolloutAgent]
    /// When the release was made.
    public var startedAt: Date
    /// When anything last changed.
    public var updatedAt: Date
    /// When it reached `succeeded` or `aborted`; `nil` before (and again when a late agent joins a finished one).
    public var finishedAt: Date?

    /// Makes a rollout.
    public init(
        trigger: String, count: Int64, state: RolloutState, policy: RolloutPolicy, haltedBy: String? = nil,
        agents: [RolloutAgent], startedAt: Date, updatedAt: Date, finishedAt: Date? = nil
    ) {
        self.trigger = trigger
        self.count = count
        self.state = state
        self.policy = policy
        self.haltedBy = haltedBy
        self.agents = agents
        self.startedAt = startedAt
        self.updatedAt = updatedAt
        self.finishedAt = finishedAt
    }

    /// The agents that never ran the release: never admitted (still waiting, or gone while waiting).
    public var neverRan: [String] {
        agents.filter { $0.admittedAt == nil }.map(\.name)
    }

    enum CodingKeys: String, CodingKey {
        case trigger, count, state, policy, agents
        case haltedBy = "halted_by"
        case startedAt = "started_at"
        case updatedAt = "updated_at"
        case finishedAt = "finished_at"
    }

    /// Decodes a rollout; `halted_by` and `finished_at` may be absent.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        trigger = try c.decode(String.self, forKey: .trigger)
        count = try c.decode(Int64.self, forKey: .count)
        state = try c.decode(RolloutState.self, forKey: .state)
        policy = try c.decode(RolloutPolicy.self, forKey: .policy)
        haltedBy = try c.decodeIfPresent(String.self, forKey: .haltedBy)
        agents = try c.decode([RolloutAgent].self, forKey: .agents)
        startedAt = try c.decodeTimestamp(forKey: .startedAt)
        updatedAt = try c.decodeTimestamp(forKey: .updatedAt)
        finishedAt = try c.decodeTimestampIfPresent(forKey: .finishedAt)
    }

    /// Encodes every field, absent ones as `null`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(trigger, forKey: .trigger)
        try c.encode(count, forKey: .count)
        try c.encode(state, forKey: .state)
        try c.encode(policy, forKey: .policy)
        try c.encode(haltedBy, forKey: .haltedBy)
        try c.encode(agents, forKey: .agents)
        try c.encode(Timestamp.format(startedAt), forKey: .startedAt)
        try c.encode(Timestamp.format(updatedAt), forKey: .updatedAt)
        try c.encode(finishedAt.map(Timestamp.format), forKey: .finishedAt)
    }
}
