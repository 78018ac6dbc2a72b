import Foundation
import ProstagmaProtocol

/// One rollout of one release, as a pure state machine: events in (an agent polled, a run was reported, time
/// passed, an operator asked), the admission decisions out (each agent's place, and which count its long poll may
/// show). No clock and no I/O: every event carries `now`, and the caller persists the machine after each change.
///
/// Rules (docs/decisions.md, "Rollouts"):
/// - Admission order: canaries first, by agent name; then every other agent by name. The canaries are the first
///   `canary` agents by name among those in the rollout when it starts; late agents are never canaries.
/// - At most `max_parallel` agents are `admitted` (admitted and not finished) at once; a percentage resolves
///   against the agents of the rollout that are not `gone` (round up, at least 1).
/// - A failed (or cancelled) run with `halt_on_failure` halts: nobody else is admitted until `resume`.
/// - After the canaries all finished the rollout pauses until `promote` (or `resume`), or until `canary_soak`
///   seconds have passed.
/// - An agent not seen (no poll, no report) for ``silenceDeadline`` seconds while waiting or admitted is `gone`:
///   its slot is free and it does not count as a success. Seen again, it is `admitted` if it was admitted before
///   (it has the release) and `waiting` otherwise.
/// - A late agent (not in the rollout) joins as `waiting` whatever the state; it is admitted under the same policy.
/// - An agent's visible count never goes down: it is the rollout's count once admitted, else what it saw before.
public struct RolloutMachine: Codable, Sendable, Equatable {
    /// One agent's standing.
    public struct Slot: Codable, Sendable, Equatable {
        /// Where it stands.
        public var place: RolloutPlace
        /// Whether it is a canary.
        public var canary: Bool
        /// When it was admitted (kept when it goes `gone`, so a return is known to hold the release).
        public var admittedAt: Date?
        /// When it reported, or went gone.
        public var finishedAt: Date?
        /// When it was last seen (a poll or a report).
        public var lastSeen: Date
        /// The count its long poll may show.
        public var shown: Int64
    }

    /// Why a control request was refused (answered 409): what the rollout's state is and what the request needs.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// What was wrong.
        public var description: String
    }

    /// The default ``silenceDeadline``: two of the longest long polls, so an agent that is polling (it polls while
    /// it runs, too) is never declared gone.
    public static let defaultSilenceDeadline = 120.0

    /// The trigger.
    public private(set) var trigger: String
    /// The release's count.
    public private(set) var count: Int64
    /// The policy, fixed when the rollout starts.
    public private(set) var policy: RolloutPolicy
    /// Where the rollout stands.
    public private(set) var state: RolloutState
    /// Agents by name.
    public private(set) var agents: [String: Slot]
    /// What an agent the rollout has never seen may be shown (the count before, as the fleet had it).
    public private(set) var baseCount: Int64
    /// What agents of an earlier rollout that are not in this one had been shown.
    public private(set) var carried: [String: Int64]
    /// The canaries have not been promoted yet.
    public private(set) var canaryPhase: Bool
    /// When the canaries all finished (the soak runs from here).
    public private(set) var canariesDoneAt: Date?
    /// The first agent whose failed run halted the rollout.
    public private(set) var haltedBy: String?
    /// When the release was made.
    public private(set) var startedAt: Date
    /// When anything last changed.
    public private(set) var updatedAt: Date
    /// When it succeeded or was aborted.
    public private(set) var finishedAt: Date?
    /// Seconds of silence after which a waiting or admitted agent is `gone`.
    public private(set) var silenceDeadline: Double

    /// Starts the rollout of `count` with the live `agents` watching the trigger; `previous` is the rollout it
    /// supersedes, if any (agents keep what they were shown there).
    public init(
        trigger: String, count: Int64, policy: RolloutPolicy, agents: [String], previous: RolloutMachine?,
        now: Date, silenceDeadline: Double = RolloutMachine.defaultSilenceDeadline
    ) {
        self.trigger = trigger
        self.count = count
        self.policy = policy
        self.state = .running
        self.startedAt = now
        self.updatedAt = now
        self.silenceDeadline = silenceDeadline
        self.canaryPhase = policy.canary > 0
        var carried: [String: Int64] = [:]
        if let previous {
            // A finished rollout reached everyone it knew of; one that did not finish leaves strangers where it
            // found them.
            baseCount = previous.state == .succeeded ? previous.count : previous.baseCount
            carried = previous.carried
            for name in previous.agents.keys { carried[name] = previous.shownCount(for: name) }
        } else {
            baseCount = max(0, count - 1)
        }
        let names = Set(agents).sorted()
        let canaries = Set(names.prefix(max(0, policy.canary)))
        var slots: [String: Slot] = [:]
        for name in names {
            slots[name] = Slot(
                place: .waiting, canary: canaries.contains(name), lastSeen: now,
                shown: carried.removeValue(forKey: name) ?? baseCount)
        }
        self.agents = slots
        self.carried = carried
        advance(now: now)
    }

    // MARK: Events

    /// `agent` polled; `handled` is the count it says it has (`after`), when it said. A stranger joins as waiting.
    public mutating func polled(_ agent: String, handled: Int64?, now: Date) {
        if isQuietPoll(agent, handled: handled, now: now) {
            // Only when it was last seen changes; the previous event's `advance` stands.
            agents[agent]!.lastSeen = max(agents[agent]!.lastSeen, now)
            return
        }
        var slot =
            agents[agent]
            ?? Slot(place: .waiting, canary: false, lastSeen: now, shown: carried[agent] ?? baseCount)
        carried[agent] = nil
        slot.lastSeen = max(slot.lastSeen, now)
        if slot.place == .gone {
            slot.place = slot.admittedAt == nil ? .waiting : .admitted
            slot.finishedAt = nil
        }
        if let handled, handled > slot.shown, handled < count {
            // It says it has a newer count than it was shown here (shown by a rollout this one forgot): showing it
            // less would look like the trigger moving back.
            slot.shown = handled
        }
        if handled == count, slot.place == .waiting {
            // It holds the release already (an ungated route showed it): counted as admitted, never admitted twice.
            slot.place = .admitted
            slot.admittedAt = now
            slot.shown = count
        }
        agents[agent] = slot
        advance(now: now)
    }

    /// Whether a poll of `agent` would change nothing but when it was last seen: a known agent, not gone, whose
    /// `handled` changes nothing, before any deadline. The common poll (every long poll of the trigger wakes on each
    /// admission), so ``polled(_:handled:now:)`` skips `advance` for it (its sort and copies cost O(agents) per poll,
    /// O(agents²) per admission).
    public func isQuietPoll(_ agent: String, handled: Int64?, now: Date) -> Bool {
        guard let known = agents[agent], known.place != .gone else { return false }
        if let handled, (handled > known.shown && handled < count) || (handled == count && known.place == .waiting) {
            return false
        }
        return nextDeadline.map { now < $0 } ?? true
    }

    /// `agent` reported a run of `count`; a report of another count only counts as being seen.
    public mutating func reported(_ agent: String, count reported: Int64, succeeded: Bool, now: Date) {
        guard reported == count else {
            if agents[agent] != nil { agents[agent]!.lastSeen = max(agents[agent]!.lastSeen, now) }
            return
        }
        var slot =
            agents[agent] ?? Slot(place: .waiting, canary: false, lastSeen: now, shown: count)
        carried[agent] = nil
        slot.lastSeen = max(slot.lastSeen, now)
        slot.place = succeeded ? .succeeded : .failed
        slot.admittedAt = slot.admittedAt ?? now
        slot.finishedAt = now
        slot.shown = count
        agents[agent] = slot
        if !succeeded, policy.haltOnFailure, state != .aborted {
            if state != .halted { haltedBy = agent }
            state = .halted
            finishedAt = nil
        }
        advance(now: now)
    }

    /// Time passed: silent agents go gone, a canary soak may end, slots may open.
    public mutating func tick(now: Date) {
        advance(now: now)
    }

    /// Stops admission until `resume` (a running rollout only).
    public mutating func pause(now: Date) throws(Refusal) {
        guard state == .running else { throw refusal("pause", "only a running rollout can be paused") }
        state = .paused
        advance(now: now)
    }

    /// Admits again after a pause or a halt. Once the canaries have all finished it promotes too (else a halt by
    /// a canary would leave nothing to admit).
    public mutating func resume(now: Date) throws(Refusal) {
        guard state == .paused || state == .halted else {
            throw refusal("resume", "only a paused or halted rollout can be resumed")
        }
        if canaryPhase, canariesDoneAt != nil { canaryPhase = false }
        state = .running
        haltedBy = nil
        advance(now: now)
    }

    /// Ends the canary phase: every agent may be admitted (under `max_parallel`).
    public mutating func promote(now: Date) throws(Refusal) {
        guard canaryPhase, state == .running || state == .paused else {
            throw refusal("promote", "only a rollout in its canary phase can be promoted")
        }
        canaryPhase = false
        state = .running
        advance(now: now)
    }

    /// Stops the rollout for good: nobody else is admitted; agents not admitted keep their previous release.
    public mutating func abort(now: Date) throws(Refusal) {
        guard state != .aborted, state != .succeeded else {
            throw refusal(
                "abort", "a rollout that \(state == .aborted ? "was aborted" : "succeeded") cannot be aborted")
        }
        state = .aborted
        finishedAt = now
        updatedAt = now
    }

    // MARK: Answers

    /// The count `agent`'s long poll may show: the rollout's once admitted, else what it was shown before.
    public func shownCount(for agent: String) -> Int64 {
        agents[agent]?.shown ?? carried[agent] ?? baseCount
    }

    /// Agents admitted and not finished (what `max_parallel` caps).
    public var admittedCount: Int { agents.values.filter { $0.place == .admitted }.count }

    /// The cap in force now, resolved against the agents that are not gone; `nil` for none.
    public var resolvedCap: Int? {
        policy.maxParallel?.resolved(agents: agents.values.filter { $0.place != .gone }.count)
    }

    /// The next moment ``tick(now:)`` may change something (a silence deadline, the soak's end); `nil` if none.
    public var nextDeadline: Date? {
        var deadlines = agents.values.filter { $0.place == .waiting || $0.place == .admitted }
            .map { $0.lastSeen.addingTimeInterval(silenceDeadline) }
        if state == .paused, canaryPhase, let done = canariesDoneAt, let soak = policy.canarySoakSeconds {
            deadlines.append(done.addingTimeInterval(soak))
        }
        return deadlines.min()
    }

    /// The rollout as the API shows it, agents by name.
    public var snapshot: Rollout {
        Rollout(
            trigger: trigger, count: count, state: state, policy: policy, haltedBy: haltedBy,
            agents: agents.keys.sorted().map { name in
                let slot = agents[name]!
                return RolloutAgent(
                    name: name, place: slot.place, canary: slot.canary, admittedAt: slot.admittedAt,
                    finishedAt: slot.finishedAt)
            }, startedAt: startedAt, updatedAt: updatedAt, finishedAt: finishedAt)
    }

    // MARK: Rules

    private func refusal(_ action: String, _ rule: String) -> Refusal {
        Refusal(description: "cannot \(action) the rollout of '\(trigger)' #\(count): it is \(state.rawValue); \(rule)")
    }

    /// The order agents are admitted in: canaries by name, then the others by name.
    static func admissionOrder(_ agents: [String: Slot]) -> [String] {
        agents.keys.sorted { a, b in
            let (ca, cb) = (agents[a]!.canary, agents[b]!.canary)
            return ca != cb ? ca : a < b
        }
    }

    private mutating func advance(now: Date) {
        let before = self
        for (name, slot) in agents
        where (slot.place == .waiting || slot.place == .admitted)
            && now.timeIntervalSince(slot.lastSeen) > silenceDeadline
        {
            agents[name]!.place = .gone
            agents[name]!.finishedAt = now
        }
        if canaryPhase {
            let canaries = agents.values.filter(\.canary)
            if canaries.allSatisfy({ $0.place != .waiting && $0.place != .admitted }) {
                if canariesDoneAt == nil {
                    canariesDoneAt = now
                    if state == .running, !canaries.isEmpty { state = .paused }
                }
                if canaries.isEmpty {
                    canaryPhase = false
                } else if state == .paused, let soak = policy.canarySoakSeconds,
                    now >= canariesDoneAt!.addingTimeInterval(soak)
                {
                    canaryPhase = false
                    state = .running
                }
            }
        }
        if state == .running || state == .succeeded {
            let cap = resolvedCap ?? Int.max
            var free = cap - admittedCount
            for name in free > 0 ? Self.admissionOrder(agents) : [] where free > 0 {
                guard agents[name]!.place == .waiting, !canaryPhase || agents[name]!.canary else { continue }
                agents[name]!.place = .admitted
                agents[name]!.admittedAt = now
                agents[name]!.shown = count
                free -= 1
            }
            let unfinished = agents.values.contains { $0.place == .waiting || $0.place == .admitted }
            if unfinished {
                state = .running
                finishedAt = nil
            } else if !canaryPhase {
                if let failed = agents.keys.sorted().first(where: { agents[$0]!.place == .failed }) {
                    // Every agent finished and one failed: it cannot be called a success.
                    state = .halted
                    haltedBy = haltedBy ?? failed
                } else if state != .succeeded {
                    state = .succeeded
                    finishedAt = now
                }
            }
        }
        if !sameProgress(as: before) { updatedAt = now }
    }

    /// Whether `other` differs at most in when agents were last seen and in `updatedAt`: a poll that changes
    /// nothing else needs no write and wakes nobody.
    func sameProgress(as other: RolloutMachine) -> Bool {
        var (a, b) = (self, other)
        for name in a.agents.keys { a.agents[name]!.lastSeen = .distantPast }
        for name in b.agents.keys { b.agents[name]!.lastSeen = .distantPast }
        a.updatedAt = b.updatedAt
        return a == b
    }

    /// Takes in when agents were seen elsewhere (by another replica, or by this one before it read the machine back
    /// from a shared database): each known agent's `lastSeen` moves forward to its time in `times`. Nothing else
    /// changes; the next event's rules see the fresher times.
    public mutating func noteSeen(_ times: [String: Date]) {
        for (name, time) in times where agents[name] != nil {
            agents[name]!.lastSeen = max(agents[name]!.lastSeen, time)
        }
    }

    /// When each agent of the rollout was last seen, by name.
    public var lastSeenTimes: [String: Date] { agents.mapValues(\.lastSeen) }

    /// After a server restart: every agent counts as seen now, so the time the server was down does not make the
    /// fleet `gone` (their deadlines start again).
    public mutating func restarted(now: Date) {
        for name in agents.keys { agents[name]!.lastSeen = max(agents[name]!.lastSeen, now) }
    }
}
