import Synchronization

/// A bounded hand-off of standard output chunks from the task that runs the CLI to the stream's iterator.
///
/// At most `capacity` chunks wait for the consumer; past that ``send(_:)`` suspends, Subprocess stops reading,
/// the pipe fills and the CLI blocks, so an object is never held in memory. The consumer going away
/// (``close()``) cancels the producing task, which is what kills the CLI's process group.
final class ChunkChannel: Sendable {
    enum Event: Sendable {
        case chunk([UInt8])
        case end(ProcessOutcome)
    }

    private struct State {
        var queue: [[UInt8]] = []
        var queuedBytes = 0
        var peakQueuedBytes = 0
        var outcome: ProcessOutcome?
        var consumer: CheckedContinuation<Event, Never>?
        var producer: CheckedContinuation<Bool, Never>?
        /// The consumer is gone: nothing more is wanted.
        var closed = false
        /// The run is being killed (timeout): chunks still arriving are of no use.
        var refusing = false
        var task: Task<Void, Never>?
    }

    private enum SendStep {
        case handedOff(CheckedContinuation<Event, Never>)
        case queued
        case rejected
        case full
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int = 4) {
        self.capacity = max(capacity, 1)
    }

    /// The most bytes that ever waited for the consumer at once (the back-pressure bound, for tests).
    var peakQueuedBytes: Int { state.withLock { $0.peakQueuedBytes } }

    /// Remembers the producing task so that ``close()`` can cancel it (at once, if already closed).
    func attach(_ task: Task<Void, Never>) {
        let cancelNow = state.withLock { state in
            state.task = task
            return state.closed
        }
        if cancelNow { task.cancel() }
    }

    /// Producer side: queues `chunk`, waiting while the queue is full. False when nobody wants it any more.
    func send(_ chunk: [UInt8]) async -> Bool {
        while true {
            let step = state.withLock { state -> SendStep in
                if state.closed || state.refusing { return .rejected }
                if let consumer = state.consumer {
                    state.consumer = nil
                    return .handedOff(consumer)
                }
                guard state.queue.count < capacity else { return .full }
                state.queue.append(chunk)
                state.queuedBytes += chunk.count
                state.peakQueuedBytes = max(state.peakQueuedBytes, state.queuedBytes)
                return .queued
            }
            switch step {
            case .handedOff(let consumer):
                consumer.resume(returning: .chunk(chunk))
                return true
            case .queued:
                return true
            case .rejected:
                return false
            case .full:
                let proceed = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                    let answer: Bool? = state.withLock { state in
                        if state.closed || state.refusing { return false }
                        if state.queue.count < capacity { return true }
                        state.producer = continuation
                        return nil
                    }
                    if let answer { continuation.resume(returning: answer) }
                }
                if !proceed { return false }
            }
        }
    }

    /// Producer side: the run is over; the consumer gets `outcome` after the chunks still queued.
    func finish(_ outcome: ProcessOutcome) {
        let consumer = state.withLock { state -> CheckedContinuation<Event, Never>? in
            state.outcome = outcome
            state.task = nil
            defer { state.consumer = nil }
            return state.consumer
        }
        consumer?.resume(returning: .end(outcome))
    }

    /// Producer side: from now on chunks are dropped (the CLI is being killed; its output is of no use).
    func refuse() {
        let producer = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            state.refusing = true
            defer { state.producer = nil }
            return state.producer
        }
        producer?.resume(returning: false)
    }

    /// Consumer side: the next chunk, or the end. Cancelling the calling task closes the channel.
    func next() async -> Event {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Event, Never>) in
                let (event, producer) = state.withLock { state -> (Event?, CheckedContinuation<Bool, Never>?) in
                    if state.closed { return (.end(ProcessOutcome(cancelled: true)), nil) }
                    if !state.queue.isEmpty {
                        let chunk = state.queue.removeFirst()
                        state.queuedBytes -= chunk.count
                        defer { state.producer = nil }
                        return (.chunk(chunk), state.producer)
                    }
                    if let outcome = state.outcome { return (.end(outcome), nil) }
                    state.consumer = continuation
                    return (nil, nil)
                }
                producer?.resume(returning: true)
                if let event { continuation.resume(returning: event) }
            }
        } onCancel: {
            close()
        }
    }

    /// Consumer side: nothing more is wanted. Cancels the producing task (which kills the CLI's group) and
    /// wakes both sides.
    func close() {
        let (consumer, producer, task) = state.withLock { state in
            if state.outcome == nil { state.closed = true }
            defer {
                state.consumer = nil
                state.producer = nil
            }
            return (state.consumer, state.producer, state.task)
        }
        task?.cancel()
        producer?.resume(returning: false)
        consumer?.resume(returning: .end(ProcessOutcome(cancelled: true)))
    }
}
