import Foundation
import ProstagmaProtocol
import Synchronization

/// Holds each trigger's policy and newest ``RolloutMachine``, feeds them events, persists every change, and wakes
/// the trigger's long polls when someone is admitted.
///
/// A trigger without a policy has no machine: nothing here touches it, and its long polls behave as before. The
/// machine of a new count is made in the increment's commit callback, before the hub publishes the count, so no
/// long poll sees the count ungated; it is persisted right after. A crash between the two is caught at start
/// (``init(store:hub:policies:rollouts:counts:watchers:now:silenceDeadline:)``): a trigger with a policy whose newest
/// count has no rollout gets one then, over the stored agents watching it.
public final class RolloutCoordinator: Sendable {
    /// A control request of `POST /v1/triggers/{name}/rollout/{action}`.
    public enum Action: String, Sendable, CaseIterable {
        /// Stop admitting.
        case pause
        /// Admit again after a pause or a halt.
        case resume
        /// End the canary phase.
        case promote
        /// Stop for good.
        case abort
    }

    private struct State {
        var policies: [String: RolloutPolicy] = [:]
        var machines: [String: RolloutMachine] = [:]
    }

    private let state: Mutex<State>
    private let store: any ServerStore
    private let hub: TriggerHub
    private let silenceDeadline: Double

    /// Starts from what the store holds; `counts` are the triggers' current counts and `watchers` the stored agents
    /// of each trigger (to remake a rollout lost to a crash right after its increment committed).
    public init(
        store: any ServerStore, hub: TriggerHub, policies: [String: RolloutPolicy], rollouts: [RolloutMachine],
        counts: [String: Int64], watchers: [String: [String]] = [:], now: Date,
        silenceDeadline: Double = RolloutMachine.defaultSilenceDeadline
    ) {
        var state = State(policies: policies)
        for var machine in rollouts {
            machine.restarted(now: now)
            state.machines[machine.trigger] = machine
        }
        for (trigger, policy) in policies {
            guard let count = counts[trigger], count > 0, (state.machines[trigger]?.count ?? 0) < count else {
                continue
            }
            // The stored agents watching the trigger stand in for the live ones of the lost start: admission is
            // by name, so the same agents are admitted first again, and those that are not back go gone.
            state.machines[trigger] = RolloutMachine(
                trigger: trigger, count: count, policy: policy, agents: watchers[trigger] ?? [],
                previous: Self.superseded(state.machines[trigger], by: count), now: now,
                silenceDeadline: silenceDeadline)
        }
        self.state = Mutex(state)
        self.store = store
        self.hub = hub
        self.silenceDeadline = silenceDeadline
    }

    /// The policy of `trigger`, if it has one.
    public func policy(of trigger: String) -> RolloutPolicy? {
        state.withLock { $0.policies[trigger] }
    }

    /// Records a policy the store has committed (nil removes it); it applies from the next release on.
    public func policyChanged(_ policy: RolloutPolicy?, trigger: String) {
        state.withLock { $0.policies[trigger] = policy }
    }

    /// The newest rollout of `trigger`, if it ever had one.
    public func rollout(of trigger: String) -> RolloutMachine? {
        state.withLock { $0.machines[trigger] }
    }

    /// Whether `trigger`'s long polls are gated: it has a rollout of its current `count`. A rollout of an older count
    /// (a release made after the policy was removed) gates nothing.
    public func isGated(_ trigger: String, count: Int64) -> Bool {
        state.withLock { $0.machines[trigger]?.count == count }
    }

    /// A new count was committed: starts its rollout when the trigger has a policy. Synchronous, so it can run
    /// in the commit callback before the count is published; ``persist(_:)`` saves it afterwards.
    public func released(_ committed: TriggerState, liveAgents: [String], now: Date) {
        state.withLock { state in
            let newest = state.machines[committed.trigger]
            guard let policy = state.policies[committed.trigger], (newest?.count ?? 0) < committed.count else {
                return
            }
            state.machines[committed.trigger] = RolloutMachine(
                trigger: committed.trigger, count: committed.count, policy: policy, agents: liveAgents,
                previous: Self.superseded(newest, by: committed.count), now: now, silenceDeadline: silenceDeadline)
        }
    }

    /// The rollout a rollout of `count` supersedes: `newest`, when it is of the count just before. An older one
    /// was followed by a release made without a policy, which every agent saw, so it says nothing of what they have.
    static func superseded(_ newest: RolloutMachine?, by count: Int64) -> RolloutMachine? {
        newest?.count == count - 1 ? newest : nil
    }

    /// Saves `trigger`'s machine as it is now (after ``released(_:liveAgents:now:)``).
    public func persist(_ trigger: String) async throws(ServerError) {
        guard let machine = rollout(of: trigger) else { return }
        try await save(machine)
    }

    /// `agent` long-polled `trigger`, whose count is `current`, saying it has `handled`: returns the count it may
    /// see, or nil when the trigger is not gated (no rollout of `current`). Any change is durable before this
    /// returns, so an admission is never shown and then forgotten.
    public func polled(_ trigger: String, agent: String, handled: Int64?, current: Int64, now: Date)
        async throws(ServerError) -> Int64?
    {
        guard isGated(trigger, count: current) else { return nil }
        // A quiet poll changes only when the agent was last seen (kept in memory, never written): mutated in place,
        // with no copy of the machine to compare against.
        let quiet = state.withLock { state -> Int64? in
            guard state.machines[trigger]?.isQuietPoll(agent, handled: handled, now: now) == true else { return nil }
            state.machines[trigger]!.polled(agent, handled: handled, now: now)
            return state.machines[trigger]!.shownCount(for: agent)
        }
        if let quiet { return quiet }
        let (shown, changed) = update(trigger, agent: agent) { $0.polled(agent, handled: handled, now: now) }
        if let changed { try await save(changed) }
        return shown
    }

    /// `agent` reported a run of `count`. Returns the rollout when this report halted it (exactly one report does),
    /// so the caller can roll back when the policy says so.
    @discardableResult
    public func reported(_ trigger: String, agent: String, count: Int64, succeeded: Bool, now: Date)
        async throws(ServerError) -> RolloutMachine?
    {
        var halted: RolloutMachine?
        let (_, changed) = update(trigger) { machine in
            let before = machine.state
            machine.reported(agent, count: count, succeeded: succeeded, now: now)
            if before != .halted, machine.state == .halted { halted = machine }
        }
        if let changed { try await save(changed) }
        return halted
    }

    /// Applies an operator's `action` to `trigger`'s rollout: 404 when it has none, 409 when the state does not
    /// allow it.
    public func control(_ trigger: String, action: Action, now: Date) async throws(ServerError) -> Rollout {
        let outcome = state.withLock { state -> Result<RolloutMachine, ServerError> in
            guard var machine = state.machines[trigger] else {
                return .failure(.notFound("trigger '\(trigger)' has no rollout: it needs a policy and a release"))
            }
            do throws(RolloutMachine.Refusal) {
                switch action {
                case .pause: try machine.pause(now: now)
                case .resume: try machine.resume(now: now)
                case .promote: try machine.promote(now: now)
                case .abort: try machine.abort(now: now)
                }
            } catch {
                return .failure(.conflict(error.description))
            }
            state.machines[trigger] = machine
            return .success(machine)
        }
        let machine = try outcome.get()
        try await save(machine)
        return machine.snapshot
    }

    /// Time passed: silent agents go gone, soaks end, slots open. Called every few seconds.
    public func tick(now: Date) async {
        let triggers = state.withLock { Array($0.machines.keys) }
        for trigger in triggers {
            let (_, changed) = update(trigger) { $0.tick(now: now) }
            if let changed { try? await save(changed) }
        }
    }

    /// Applies `event` to the machine of `trigger` under the lock; returns what `agent` may now be shown (nil when
    /// the trigger has no rollout) and the new machine when it made progress (which must be saved).
    private func update(_ trigger: String, agent: String? = nil, _ event: (inout RolloutMachine) -> Void)
        -> (shown: Int64?, changed: RolloutMachine?)
    {
        state.withLock { state in
            guard var machine = state.machines[trigger] else { return (nil, nil) }
            let before = machine
            event(&machine)
            state.machines[trigger] = machine
            let shown = agent.map { machine.shownCount(for: $0) }
            // Only progress is written eagerly; when agents were last seen is kept in memory (a restart counts
            // every agent as seen then).
            return (shown, machine.sameProgress(as: before) ? nil : machine)
        }
    }

    /// Persists `machine`, then wakes the trigger's long polls (an admission changes what some of them see).
    private func save(_ machine: RolloutMachine) async throws(ServerError) {
        // The store reads the newest state when its write runs, so of saves that commit in any order the last holds
        // everything every caller before it was told.
        try await store.saveRollout(of: machine.trigger) { [self] in rollout(of: machine.trigger) }
        // Only a rollout of the current count gates; waking the ungated polls of an older one would answer them early.
        if hub.current(machine.trigger).count == machine.count { hub.notifier(for: machine.trigger).publish() }
    }
}
