import Testing

@testable import HTTPCore

@Suite(.timeLimit(.minutes(3))) struct DeadlineQueueTests {
    let start = ContinuousClock.now

    @Test func expiredDeadlinesComeOutEarliestFirstAndLaterOnesStay() {
        var queue = DeadlineQueue()
        queue.insert(start + .seconds(3), id: 3)
        queue.insert(start + .seconds(1), id: 1)
        queue.insert(start + .seconds(2), id: 2)
        queue.insert(start + .seconds(9), id: 9)
        #expect(queue.earliest == start + .seconds(1))
        let first = queue.popExpired(now: start + .seconds(3))
        #expect(first == [1, 2, 3])
        #expect(queue.earliest == start + .seconds(9))
        let second = queue.popExpired(now: start + .seconds(8))
        #expect(second.isEmpty)
        #expect(queue.count == 1)
    }

    @Test func insertSaysWhenTheTimerMustMove() {
        var queue = DeadlineQueue()
        let first = queue.insert(start + .seconds(5), id: 1)
        let later = queue.insert(start + .seconds(6), id: 2)
        let earlier = queue.insert(start + .seconds(4), id: 3)
        #expect(first)
        #expect(!later)
        #expect(earlier)
    }

    @Test func removeTakesOutOnlyTheGivenWaiter() {
        var queue = DeadlineQueue()
        let same = start + .seconds(1)
        queue.insert(same, id: 1)
        queue.insert(same, id: 2)
        queue.insert(same, id: 3)
        queue.remove(same, id: 2)
        queue.remove(same, id: 7)
        queue.remove(start + .seconds(2), id: 1)
        #expect(queue.entries.map(\.id) == [1, 3])
        queue.removeAll()
        #expect(queue.earliest == nil)
    }
}
