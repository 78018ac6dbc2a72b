import Foundation
import HTTPCore
import ProstagmaProtocol
import Synchronization

/// The committed trigger states in memory, and the long polls waiting on them.
///
/// The store publishes every committed increment here (in commit order); reads of counts never touch
/// SQLite. A long poll registers under the same lock that publishing takes, so no increment can fall
/// between "read the count" and "start waiting". Every waiter of a trigger is woken by each increment.
public final class TriggerHub: Sendable {
    private typealias Continuation = CheckedContinuation<TriggerState?, Never>

    private struct State {
        var triggers: [String: TriggerState] = [:]
        /// Waiters by trigger, then by id.
        var waiters: [String: [UInt64: Continuation]] = [:]
        var nextID: UInt64 = 0
        var closed = false
        /// One HTTPCore notifier per trigger that HTTP long polls wait on (cheap: a continuation and an
        /// event-loop timer per poll, and the poll ends when its connection closes).
        var notifiers: [String: Notifier] = [:]
    }

    private let state = Mutex(State())

    /// Creates a hub holding `initial` states (loaded from the store at start).
    public init(initial: [TriggerState] = []) {
        state.withLock { state in
            for trigger in initial { state.triggers[trigger.trigger] = trigger }
        }
    }

    /// The committed state of `name`; an unknown trigger reads count 0.
    public func current(_ name: String) -> TriggerState {
        state.withLock { $0.triggers[name] } ?? TriggerState(trigger: name, count: 0)
    }

    /// Every known trigger, sorted by name.
    public func all() -> [TriggerState] {
        state.withLock { Array($0.triggers.values) }.sorted { $0.trigger < $1.trigger }
    }

    /// Records a committed state and wakes every waiter of that trigger. A state older than the one held
    /// (a smaller count) is ignored.
    public func publish(_ new: TriggerState) {
        let (woken, notifier) = state.withLock { state -> ([UInt64: Continuation], Notifier?) in
            if let old = state.triggers[new.trigger], old.count > new.count { return ([:], nil) }
            state.triggers[new.trigger] = new
            return (state.waiters.removeValue(forKey: new.trigger) ?? [:], state.notifiers[new.trigger])
        }
        for continuation in woken.values { continuation.resume(returning: new) }
        // After the state is stored: a poll that read the notifier's generation before this publish
        // either sees the new state or is woken (or returns at once) by this call.
        notifier?.publish()
    }

    /// The notifier HTTP long polls of `name` wait on: read its `generation`, then ``current(_:)``, then
    /// wait `since` that generation; no publish can fall in between.
    public func notifier(for name: String) -> Notifier {
        state.withLock { state in
            if let notifier = state.notifiers[name] { return notifier }
            let notifier = Notifier()
            state.notifiers[name] = notifier
            return notifier
        }
    }

    /// Adds one to `name`'s count and wakes its waiters (used as a generation counter for run reports).
    public func bump(_ name: String) {
        let (woken, new) = state.withLock { state -> ([UInt64: Continuation], TriggerState) in
            let old = state.triggers[name] ?? TriggerState(trigger: name, count: 0)
            let new = TriggerState(trigger: name, count: old.count + 1, lastIncrement: Date())
            state.triggers[name] = new
            return (state.waiters.removeValue(forKey: name) ?? [:], new)
        }
        for continuation in woken.values { continuation.resume(returning: new) }
    }

    /// Open long polls per trigger (for `prostagma_watchers{trigger}`).
    public func watcherCounts() -> [String: Int] {
        let (waiters, notifiers) = state.withLock { ($0.waiters.mapValues(\.count), $0.notifiers) }
        var counts = waiters.filter { $0.value > 0 }
        for (name, notifier) in notifiers {
            let waiting = notifier.waiterCount
            if waiting > 0 { counts[name, default: 0] += waiting }
        }
        return counts
    }

    /// Waits until `name`'s count differs from `after`, at most `timeout`; returns the state then.
    /// Answers at once when the count already differs or the hub is shut down; returns the unchanged
    /// state when the time runs out or the calling task is cancelled.
    public func wait(_ name: String, after: Int64, timeout: Duration) async -> TriggerState {
        let changed: TriggerState? = await withTaskGroup(of: TriggerState?.self) { group in
            group.addTask { await self.waitForChange(name, after: after) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        return changed ?? current(name)
    }

    private func waitForChange(_ name: String, after: Int64) async -> TriggerState? {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<TriggerState?, Never>) in
                let immediate = state.withLock { state -> TriggerState?? in
                    let current = state.triggers[name] ?? TriggerState(trigger: name, count: 0)
                    if current.count != after || state.closed { return .some(current) }
                    // Checked under the lock the cancellation handler also takes: either the handler
                    // runs after this registration and removes it, or the flag is already visible here.
                    if Task.isCancelled { return .some(nil) }
                    state.waiters[name, default: [:]][id] = continuation
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Continuation? in
                guard let waiter = state.waiters[name]?.removeValue(forKey: id) else { return nil }
                if state.waiters[name]?.isEmpty == true { state.waiters[name] = nil }
                return waiter
            }
            waiter?.resume(returning: nil)
        }
    }

    /// Answers every open long poll with its current state and makes later waits return at once
    /// (graceful shutdown).
    public func shutdown() {
        let (woken, notifiers) = state.withLock { state -> ([(Continuation, TriggerState)], [Notifier]) in
            state.closed = true
            var woken: [(Continuation, TriggerState)] = []
            for (name, waiters) in state.waiters {
                let current = state.triggers[name] ?? TriggerState(trigger: name, count: 0)
                woken += waiters.values.map { ($0, current) }
            }
            state.waiters.removeAll()
            return (woken, Array(state.notifiers.values))
        }
        for (continuation, current) in woken { continuation.resume(returning: current) }
        for notifier in notifiers { notifier.publish() }
    }

    /// Whether ``shutdown()`` was called.
    public var isShutDown: Bool { state.withLock { $0.closed } }
}
