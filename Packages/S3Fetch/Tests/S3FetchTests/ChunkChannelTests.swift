import Testing

@testable import S3Fetch

/// The hand-off between the CLI's task and the iterator, without any process.
@Suite(.timeLimit(.minutes(1))) struct ChunkChannelTests {
    @Test func aFullQueueHoldsTheProducerUntilTheConsumerTakesAChunk() async throws {
        let channel = ChunkChannel(capacity: 2)
        #expect(await channel.send([1]))
        #expect(await channel.send([2]))
        let producer = Task { await channel.send([3]) }
        // The third chunk cannot be queued before one is taken: the bound is what makes the CLI block.
        guard case .chunk(let first) = await channel.next() else { Issue.record("expected a chunk"); return }
        #expect(first == [1])
        #expect(await producer.value)
        #expect(channel.peakQueuedBytes == 2)
        channel.finish(ProcessOutcome(exitCode: 0))
        var rest: [[UInt8]] = []
        while case .chunk(let chunk) = await channel.next() { rest.append(chunk) }
        #expect(rest == [[2], [3]])
    }

    @Test func closingReleasesAWaitingProducerAndCancelsTheRunningTask() async throws {
        let channel = ChunkChannel(capacity: 1)
        #expect(await channel.send([1]))
        let producer = Task { await channel.send([2]) }
        let run = Task { _ = try? await Task.sleep(for: .seconds(600)) }
        channel.attach(run)
        channel.close()
        #expect(await producer.value == false)
        await run.value
        #expect(run.isCancelled)
        guard case .end(let outcome) = await channel.next() else {
            Issue.record("a closed channel ends")
            return
        }
        #expect(outcome.cancelled)
    }

    @Test func refusingDropsLaterChunksButKeepsTheOutcome() async throws {
        let channel = ChunkChannel(capacity: 1)
        #expect(await channel.send([1]))
        channel.refuse()
        #expect(await channel.send([2]) == false)
        channel.finish(ProcessOutcome(timedOut: true))
        guard case .chunk(let first) = await channel.next() else { Issue.record("expected a chunk"); return }
        #expect(first == [1])
        guard case .end(let outcome) = await channel.next() else { Issue.record("expected the end"); return }
        #expect(outcome.timedOut)
    }
}
