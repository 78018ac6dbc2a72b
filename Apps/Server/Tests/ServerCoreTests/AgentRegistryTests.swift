import Foundation
import Testing

@testable import ServerCore

@Suite(.timeLimit(.minutes(2))) struct AgentRegistryTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func liveWhilePollingThenStaleAfterTwiceTheInterval() {
        let registry = AgentRegistry()
        registry.touch(name: "web-1", host: "h", trigger: "app", pollInterval: 5, now: start)
        registry.pollChanged(name: "web-1", delta: 1, now: start)
        #expect(registry.snapshot(now: start.addingTimeInterval(3600)).first?.liveness == .live)
        registry.pollChanged(name: "web-1", delta: -1, now: start.addingTimeInterval(30))
        #expect(registry.snapshot(now: start.addingTimeInterval(39)).first?.liveness == .live)
        #expect(registry.snapshot(now: start.addingTimeInterval(41)).first?.liveness == .stale)
        #expect(registry.counts(now: start.addingTimeInterval(41)) == [.live: 0, .stale: 1])
    }

    @Test func liveWatchersOfATrigger() {
        let registry = AgentRegistry()
        registry.touch(name: "a", host: nil, trigger: "app", pollInterval: 5, now: start)
        registry.touch(name: "b", host: nil, trigger: "db", pollInterval: 5, now: start)
        registry.touch(name: "c", host: nil, trigger: "app", pollInterval: 5, now: start.addingTimeInterval(-60))
        #expect(registry.liveWatchers(of: "app", now: start) == ["a"])
        // Sorted by name whatever the order they came in; an open poll keeps a long-unseen agent live; an agent
        // watching two triggers counts for each.
        registry.touch(name: "m", host: nil, trigger: "app", pollInterval: 5, now: start)
        registry.touch(name: "e", host: nil, trigger: "db", pollInterval: 5, now: start.addingTimeInterval(-600))
        registry.touch(name: "e", host: nil, trigger: "app", pollInterval: 5, now: start.addingTimeInterval(-600))
        registry.pollChanged(name: "e", delta: 1, now: start.addingTimeInterval(-600))
        #expect(registry.liveWatchers(of: "app", now: start) == ["a", "e", "m"])
        #expect(registry.liveWatchers(of: "db", now: start) == ["b", "e"])
        #expect(registry.liveWatchers(of: "none", now: start).isEmpty)
        #expect(registry.counts(now: start) == [.live: 4, .stale: 1])
    }

    @Test func aPollChangesOnlyItsAgentAndMarksItDirty() {
        let registry = AgentRegistry()
        registry.touch(name: "a", host: "h1", trigger: "app", pollInterval: 7, now: start, runID: "r1")
        registry.touch(name: "b", host: nil, trigger: "app", pollInterval: 5, now: start)
        _ = registry.takeDirty()
        registry.pollChanged(name: "a", delta: 1, now: start.addingTimeInterval(10))
        registry.pollChanged(name: "nobody", delta: 1, now: start.addingTimeInterval(10))
        let dirty = registry.takeDirty()
        #expect(dirty.map(\.name) == ["a"])
        #expect(dirty.first?.lastSeen == start.addingTimeInterval(10))
        #expect(dirty.first?.host == "h1" && dirty.first?.lastRunID == "r1" && dirty.first?.pollIntervalSeconds == 7)
        // Closing more polls than were opened never goes below none: the agent turns stale on time.
        registry.pollChanged(name: "a", delta: -1, now: start.addingTimeInterval(11))
        registry.pollChanged(name: "a", delta: -1, now: start.addingTimeInterval(11))
        #expect(registry.snapshot(now: start.addingTimeInterval(3600)).map(\.liveness) == [.stale, .stale])
    }

    @Test func dirtyRecordsAreHandedOverOnce() {
        let registry = AgentRegistry()
        registry.touch(name: "a", host: nil, trigger: "app", pollInterval: nil, now: start)
        #expect(registry.takeDirty().map(\.name) == ["a"])
        #expect(registry.takeDirty().isEmpty)
    }

    @Test(arguments: [(0.0, 2.1, false), (0.0, 1.9, true), (5.0, 10.0, true), (5.0, 10.1, false)])
    func livenessRule(interval: Double, elapsed: Double, live: Bool) {
        let state = AgentRegistry.liveness(
            lastSeen: start, pollInterval: interval, openPolls: 0, now: start.addingTimeInterval(elapsed))
        #expect((state == .live) == live)
    }
}
