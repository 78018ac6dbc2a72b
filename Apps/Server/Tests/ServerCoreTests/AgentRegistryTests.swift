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
