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
///
/// With a store several replicas share (``SharedRolloutStore``), this replica's machines are copies: every event
/// that may change a machine is applied to the stored one in a transaction that holds the trigger's rollout lock
/// (``SharedRolloutStore/updateRollout(of:fresh:_:)``), and the copy is replaced by the result, or by what another
/// replica stored (``adopt(_:)``, on its notification or the periodic re-read). Only a poll that changes nothing
/// (``RolloutMachine/isQuietPoll(_:handled:now:)``) is answered from the copy. So `max_parallel`, halts and the
/// operator's controls hold across replicas as they do in one process.
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
        /// Shared store: the revision of the stored row each copy was read from (0 when loaded at start).
        var revisions: [String: Int64] = [:]
        /// Shared store: triggers whose machine was started here and is neither stored nor read back yet; their
        /// polls go to the database, since another replica may have stored a different start.
        var pending: Set<String> = []
    }

    private let state: Mutex<State>
    private let store: any ServerStore
    private let hub: TriggerHub
    private let silenceDeadline: Double
    /// The shared store, when replicas share one (decisions are taken there).
    private let shared: (any SharedRolloutStore)?
    /// When agents were last seen as far as this replica knows (its registry), by name.
    private let seen: @Sendable ([String]) -> [String: Date]

    /// Starts from what the store holds; `counts` are the triggers' current counts and `watchers` the stored agents
    /// of each trigger (to remake a rollout lost to a crash right after its increment committed).
    public init(
        store: any ServerStore, hub: TriggerHub, policies: [String: RolloutPolicy], rollouts: [RolloutMachine],
        counts: [String: Int64], watchers: [String: [String]] = [:], now: Date,
        silenceDeadline: Double = RolloutMachine.defaultSilenceDeadline, shared: (any SharedRolloutStore)? = nil,
        seen: @escaping @Sendable ([String]) -> [String: Date] = { _ in [:] }
    ) {
        var state = State(policies: policies)
        for var machine in rollouts {
            machine.restarted(now: now)
            state.machines[machine.trigger] = machine
            state.revisions[machine.trigger] = 0
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
            if shared != nil { state.pending.insert(trigger) }
        }
        self.state = Mutex(state)
        self.store = store
        self.hub = hub
        self.silenceDeadline = silenceDeadline
        self.shared = shared
        self.seen = seen
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
    /// in the commit callback before the count is published; ``persist(_:)`` saves it afterwards. `liveAgents` (the
    /// live watchers, a pass over every agent) is asked only when a rollout starts: a trigger without a policy
    /// publishes without it.
    public func released(_ committed: TriggerState, liveAgents: () -> [String], now: Date) {
        let shared = self.shared != nil
        state.withLock { state in
            let newest = state.machines[committed.trigger]
            guard let policy = state.policies[committed.trigger], (newest?.count ?? 0) < committed.count else {
                return
            }
            state.machines[committed.trigger] = RolloutMachine(
                trigger: committed.trigger, count: committed.count, policy: policy, agents: liveAgents(),
                previous: Self.superseded(newest, by: committed.count), now: now, silenceDeadline: silenceDeadline)
            if shared { state.pending.insert(committed.trigger) }
        }
    }

    /// The rollout a rollout of `count` supersedes: `newest`, when it is of the count just before. An older one
    /// was followed by a release made without a policy, which every agent saw, so it says nothing of what they have.
    static func superseded(_ newest: RolloutMachine?, by count: Int64) -> RolloutMachine? {
        newest?.count == count - 1 ? newest : nil
    }

    /// Saves `trigger`'s machine as it is now (after ``released(_:liveAgents:now:)``).
    public func persist(_ trigger: String) async throws(ServerError) {
        if let shared {
            // Stored unless another replica stored a start of the same count first; then that one is taken.
            guard state.withLock({ $0.pending.contains(trigger) }) else { return }
            _ = try await transact(shared, trigger) { _ in }
            return
        }
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
            guard !state.pending.contains(trigger),
                state.machines[trigger]?.isQuietPoll(agent, handled: handled, now: now) == true
            else { return nil }
            state.machines[trigger]!.polled(agent, handled: handled, now: now)
            return state.machines[trigger]!.shownCount(for: agent)
        }
        if let quiet { return quiet }
        if let shared {
            let update = try await transact(shared, trigger) { $0.polled(agent, handled: handled, now: now) }
            return update?.after.machine.shownCount(for: agent)
        }
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
        if let shared {
            // A report of an older count than this replica's rollout changes nothing there.
            guard let local = rollout(of: trigger), count >= local.count else { return nil }
            let update = try await transact(shared, trigger) {
                $0.reported(agent, count: count, succeeded: succeeded, now: now)
            }
            guard let update, update.before.state != .halted, update.after.machine.state == .halted else { return nil }
            return update.after.machine
        }
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
        if let shared {
            guard
                let update = try await transact(
                    shared, trigger,
                    { machine throws(ServerError) in
                        try Self.apply(action, to: &machine, now: now)
                    })
            else {
                throw .notFound("trigger '\(trigger)' has no rollout: it needs a policy and a release")
            }
            return update.after.machine.snapshot
        }
        let outcome = state.withLock { state -> Result<RolloutMachine, ServerError> in
            guard var machine = state.machines[trigger] else {
                return .failure(.notFound("trigger '\(trigger)' has no rollout: it needs a policy and a release"))
            }
            do throws(ServerError) {
                try Self.apply(action, to: &machine, now: now)
            } catch {
                return .failure(error)
            }
            state.machines[trigger] = machine
            return .success(machine)
        }
        let machine = try outcome.get()
        try await save(machine)
        return machine.snapshot
    }

    /// Applies an operator's `action`; a refusal is a 409 saying why.
    static func apply(_ action: Action, to machine: inout RolloutMachine, now: Date) throws(ServerError) {
        do throws(RolloutMachine.Refusal) {
            switch action {
            case .pause: try machine.pause(now: now)
            case .resume: try machine.resume(now: now)
            case .promote: try machine.promote(now: now)
            case .abort: try machine.abort(now: now)
            }
        } catch {
            throw .conflict(error.description)
        }
    }

    /// Time passed: silent agents go gone, soaks end, slots open. Called every few seconds.
    public func tick(now: Date) async {
        let triggers = state.withLock { Array($0.machines.keys) }
        if let shared {
            for trigger in triggers {
                // Only a tick that would make progress on this replica's copy (with the fleet's seen times) goes to
                // the database; there it is applied to the stored machine, which every replica ticks the same way.
                guard var copy = rollout(of: trigger) else { continue }
                let before = copy
                copy.noteSeen(seen(Array(copy.agents.keys)))
                copy.tick(now: now)
                if copy.sameProgress(as: before), !state.withLock({ $0.pending.contains(trigger) }) { continue }
                _ = try? await transact(shared, trigger) { $0.tick(now: now) }
            }
            return
        }
        for trigger in triggers {
            let (_, changed) = update(trigger) { $0.tick(now: now) }
            if let changed { try? await save(changed) }
        }
    }

    // MARK: - Replicas sharing a database

    /// Applies `event` to `trigger`'s stored machine (or to this replica's start of it, when none newer is stored),
    /// in the database under the trigger's rollout lock, after taking in when this replica saw its agents; takes the
    /// result as this replica's copy and wakes the trigger's long polls here when it made progress (other replicas
    /// wake on the notification).
    private func transact(
        _ shared: any SharedRolloutStore, _ trigger: String,
        _ event: @escaping @Sendable (inout RolloutMachine) throws(ServerError) -> Void
    ) async throws(ServerError) -> RolloutUpdate? {
        let local = state.withLock { state -> (fresh: RolloutMachine?, seen: [String: Date]) in
            let machine = state.machines[trigger]
            return (state.pending.contains(trigger) ? machine : nil, machine?.lastSeenTimes ?? [:])
        }
        let seen = self.seen
        let update = try await shared.updateRollout(of: trigger, fresh: local.fresh) { machine throws(ServerError) in
            var times = seen(Array(machine.agents.keys))
            times.merge(local.seen, uniquingKeysWith: max)
            machine.noteSeen(times)
            try event(&machine)
        }
        if let update { adopt(update.after) }
        return update
    }

    /// Takes `stored`, read from the shared database (after this replica's own update, or on another replica's
    /// notification, or at the periodic re-read), as this replica's copy unless the copy is newer: a start of a
    /// newer count not stored yet, or a higher revision. Wakes the trigger's long polls when the progress changed.
    public func adopt(_ stored: StoredRollout) {
        let trigger = stored.machine.trigger
        let changed = state.withLock { state -> Bool in
            var machine = stored.machine
            if let local = state.machines[trigger] {
                if local.count > machine.count { return false }
                if local.count == machine.count {
                    if !state.pending.contains(trigger), stored.revision < state.revisions[trigger] ?? 0 {
                        return false
                    }
                    machine.noteSeen(local.lastSeenTimes)
                }
                state.machines[trigger] = machine
                state.revisions[trigger] = stored.revision
                state.pending.remove(trigger)
                return local.count != machine.count || !machine.sameProgress(as: local)
            }
            state.machines[trigger] = machine
            state.revisions[trigger] = stored.revision
            return true
        }
        if changed, hub.current(trigger).count == stored.machine.count { hub.notifier(for: trigger).publish() }
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
