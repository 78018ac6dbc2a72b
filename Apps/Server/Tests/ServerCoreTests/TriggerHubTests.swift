import Foundation
import ProstagmaProtocol
import Testing

@testable import ServerCore

@Suite(.timeLimit(.minutes(2))) struct TriggerHubTests {
    func state(_ count: Int64) -> TriggerState { TriggerState(trigger: "app", count: count) }

    @Test func unknownTriggersReadZero() {
        #expect(TriggerHub().current("nope").count == 0)
    }

    @Test func answersAtOnceWhenTheCountAlreadyDiffers() async {
        let hub = TriggerHub(initial: [state(3)])
        let answer = await hub.wait("app", after: 2, timeout: .seconds(30))
        #expect(answer.count == 3)
    }

    @Test func everyWaiterIsWokenByOneIncrement() async throws {
        let hub = TriggerHub(initial: [state(1)])
        try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<100 { group.addTask { await hub.wait("app", after: 1, timeout: .seconds(30)).count } }
            try await eventually("100 waiters") { hub.watcherCounts()["app", default: 0] >= 100 }
            hub.publish(state(2))
            var answers: [Int64] = []
            for try await count in group { answers.append(count) }
            #expect(answers == Array(repeating: 2, count: 100))
        }
        #expect(hub.watcherCounts().isEmpty)
    }

    @Test func timesOutWithTheUnchangedState() async {
        let hub = TriggerHub(initial: [state(1)])
        let answer = await hub.wait("app", after: 1, timeout: .milliseconds(20))
        #expect(answer.count == 1)
        #expect(hub.watcherCounts().isEmpty)
    }

    @Test func shutdownAnswersOpenPollsAndLaterOnesAtOnce() async throws {
        let hub = TriggerHub(initial: [state(1)])
        async let answer = hub.wait("app", after: 1, timeout: .seconds(60))
        try await eventually("a waiter") { hub.watcherCounts()["app", default: 0] >= 1 }
        hub.shutdown()
        #expect(await answer.count == 1)
        let later = await hub.wait("app", after: 1, timeout: .seconds(60))
        #expect(later.count == 1)
    }

    @Test func cancellationRemovesTheWaiter() async throws {
        let hub = TriggerHub(initial: [state(1)])
        let task = Task { await hub.wait("app", after: 1, timeout: .seconds(60)) }
        try await eventually("a waiter") { hub.watcherCounts()["app", default: 0] >= 1 }
        task.cancel()
        #expect(await task.value.count == 1)
        #expect(hub.watcherCounts().isEmpty)
    }

    @Test func olderStatesAreIgnored() {
        let hub = TriggerHub(initial: [state(5)])
        hub.publish(state(4))
        #expect(hub.current("app").count == 5)
    }
}
