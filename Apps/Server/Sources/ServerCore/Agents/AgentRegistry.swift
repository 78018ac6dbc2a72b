import Foundation
import ProstagmaProtocol
import Synchronization

/// The agents the server has seen, with their liveness (issue 10).
///
/// An agent is *live* while one of its long polls is open or it was seen within twice its poll
/// interval, *stale* after. Records live in memory; changed ones are handed to the store in batches
/// (``takeDirty(refreshingOpenPollsAt:)``), so a long poll costs no database write.
public final class AgentRegistry: Sendable {
    /// An agent's liveness: live while a long poll is open or it was seen within twice its poll interval.
    public typealias Liveness = AgentLiveness

    /// The smallest poll interval used for liveness, so a bogus `0` does not make agents stale at once.
    public static let minimumPollInterval = 1.0
    /// The interval assumed when an agent does not send `X-Prostagma-Poll-Interval` (the agent's default).
    public static let defaultPollInterval = 5.0

    private struct Entry {
        var record: AgentRecord
        var openPolls: Int

        func liveness(at now: Date) -> Liveness {
            AgentRegistry.liveness(
                lastSeen: record.lastSeen, pollInterval: record.pollIntervalSeconds, openPolls: openPolls, now: now)
        }
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var dirty: Set<String> = []
    }

    private let state: Mutex<State>

    /// Creates a registry holding `initial` records (loaded from the store).
    public init(initial: [AgentRecord] = []) {
        var state = State()
        for record in initial { state.entries[record.name] = Entry(record: record, openPolls: 0) }
        self.state = Mutex(state)
    }

    /// Notes that `name` was seen (a poll or a report), watching `trigger`.
    public func touch(
        name: String, host: String?, trigger: String?, pollInterval: Double?, now: Date, runID: String? = nil
    ) {
        state.withLock { state in
            var entry =
                state.entries[name]
                ?? Entry(
                    record: AgentRecord(
                        name: name, host: host, triggers: [], lastSeen: now,
                        pollIntervalSeconds: pollInterval ?? Self.defaultPollInterval),
                    openPolls: 0)
            entry.record.lastSeen = max(entry.record.lastSeen, now)
            if let host, !host.isEmpty { entry.record.host = host }
            if let trigger, !entry.record.triggers.contains(trigger) {
                entry.record.triggers.append(trigger)
                entry.record.triggers.sort()
            }
            if let pollInterval, pollInterval.isFinite, pollInterval > 0 {
                entry.record.pollIntervalSeconds = pollInterval
            }
            if let runID { entry.record.lastRunID = runID }
            state.entries[name] = entry
            state.dirty.insert(name)
        }
    }

    /// Marks a long poll of `name` open (`delta` 1) or closed (`delta` -1).
    public func pollChanged(name: String, delta: Int, now: Date) {
        state.withLock { state in
            // In place: copying the entry out and back retains and releases every field of its record.
            guard let index = state.entries.index(forKey: name) else { return }
            state.entries.values[index].openPolls = max(0, state.entries.values[index].openPolls + delta)
            state.entries.values[index].record.lastSeen = max(state.entries.values[index].record.lastSeen, now)
            state.dirty.insert(name)
        }
    }

    /// The liveness rule, pure: live while a poll is open or within twice the poll interval (at least
    /// the long-poll length, since an agent re-polls only after its previous poll ends).
    public static func liveness(lastSeen: Date, pollInterval: Double, openPolls: Int, now: Date) -> Liveness {
        if openPolls > 0 { return .live }
        let window = max(2 * max(pollInterval, minimumPollInterval), 2 * minimumPollInterval)
        return now.timeIntervalSince(lastSeen) <= window ? .live : .stale
    }

    /// Every agent with its liveness at `now`, sorted by name.
    public func snapshot(now: Date) -> [(record: AgentRecord, liveness: Liveness)] {
        state.withLock { state in
            state.entries.values.map { ($0.record, $0.liveness(at: now)) }
        }.sorted { $0.record.name < $1.record.name }
    }

    /// Names of live agents watching `trigger` at `now` (who a `?wait=` increment waits for), sorted.
    public func liveWatchers(of trigger: String, now: Date) -> [String] {
        // One pass under the lock, copying names only: it runs on every increment that waits or starts a rollout.
        state.withLock { state in
            var names: [String] = []
            for entry in state.entries.values
            where entry.record.triggers.contains(trigger) && entry.liveness(at: now) == .live {
                names.append(entry.record.name)
            }
            return names
        }.sorted()
    }

    /// When each of `names` was last seen, for those the registry knows (an agent holding a long poll here counts as
    /// seen at `now`). With a shared database this includes what other replicas stored, as of the last merge.
    public func lastSeen(of names: some Sequence<String>, now: Date) -> [String: Date] {
        state.withLock { state in
            var times: [String: Date] = [:]
            for name in names {
                guard let entry = state.entries[name] else { continue }
                times[name] = entry.openPolls > 0 ? max(entry.record.lastSeen, now) : entry.record.lastSeen
            }
            return times
        }
    }

    /// Counts per liveness (for `prostagma_agents{state}`).
    public func counts(now: Date) -> [Liveness: Int] {
        let (live, all) = state.withLock { state in
            let live = state.entries.values.count { $0.liveness(at: now) == .live }
            return (live, state.entries.count)
        }
        return [.live: live, .stale: all - live]
    }

    /// Records changed since the last call (to persist). Given `now`, agents with an open long poll count as seen then
    /// and changed (replicas sharing a database learn of each other's polls only from the stored `lastSeen`).
    public func takeDirty(refreshingOpenPollsAt now: Date? = nil) -> [AgentRecord] {
        state.withLock { state in
            defer { state.dirty.removeAll() }
            if let now {
                for (name, entry) in state.entries where entry.openPolls > 0 {
                    state.entries[name]?.record.lastSeen = max(entry.record.lastSeen, now)
                    state.dirty.insert(name)
                }
            }
            return state.dirty.compactMap { state.entries[$0]?.record }
        }
    }

    /// Takes in records other replicas wrote to the shared store: an unknown agent is added, a known one moves
    /// forward (newest `lastSeen`, union of triggers, the newer record's host, poll interval and run). Merged records
    /// are not marked dirty: they are already stored.
    public func merge(_ records: [AgentRecord]) {
        state.withLock { state in
            for record in records {
                guard var entry = state.entries[record.name] else {
                    state.entries[record.name] = Entry(record: record, openPolls: 0)
                    continue
                }
                let newer = record.lastSeen > entry.record.lastSeen
                entry.record.lastSeen = max(entry.record.lastSeen, record.lastSeen)
                entry.record.triggers = Array(Set(entry.record.triggers).union(record.triggers)).sorted()
                if newer {
                    if let host = record.host { entry.record.host = host }
                    entry.record.pollIntervalSeconds = record.pollIntervalSeconds
                    if let run = record.lastRunID { entry.record.lastRunID = run }
                } else if entry.record.lastRunID == nil {
                    entry.record.lastRunID = record.lastRunID
                }
                state.entries[record.name] = entry
            }
        }
    }
}
