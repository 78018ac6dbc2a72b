import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Moves a child's standard output to an async consumer with back-pressure, collects its standard error,
/// enforces the deadline and reaps it.
///
/// The blocking side (`poll`, `read`, `waitpid`) runs on one dedicated thread per process so it never
/// blocks Swift's cooperative pool. At most `maxQueued` chunks wait for the consumer; beyond that the thread
/// stops reading standard output, the pipe fills and the CLI blocks: the object is never held in memory.
final class OutputPump: Sendable {
    enum Event: Sendable {
        case chunk([UInt8])
        case end(ProcessOutcome)
    }

    private struct State {
        var queue: [[UInt8]] = []
        var queuedBytes = 0
        var peakQueuedBytes = 0
        var outcome: ProcessOutcome?
        var waiter: CheckedContinuation<Event, Never>?
        var abandoned = false
        /// Set under the lock when `waitpid` has reaped the CLI: its pid may be reused, never signal it again.
        var reaped = false
    }

    let process: ChildProcess
    private let deadline: ContinuousClock.Instant
    private let chunkSize: Int
    private let maxQueued: Int
    private let stderrLimit: Int
    private let state = Mutex(State())
    /// A self-pipe that wakes the thread's `poll` when the consumer frees a slot or goes away.
    private let wakeRead: Int32
    private let wakeWrite: Int32

    init(process: ChildProcess, timeout: Duration, chunkSize: Int, maxQueued: Int = 4, stderrLimit: Int) {
        self.process = process
        self.deadline = ContinuousClock.now + timeout
        self.chunkSize = max(chunkSize, 1)
        self.maxQueued = max(maxQueued, 1)
        self.stderrLimit = stderrLimit
        var fds: [Int32] = [-1, -1]
        if makePipe(&fds, flags: O_NONBLOCK) != 0 { fds = [-1, -1] }
        self.wakeRead = fds[0]
        self.wakeWrite = fds[1]
    }

    deinit {
        if wakeRead >= 0 { close(wakeRead) }
        if wakeWrite >= 0 { close(wakeWrite) }
    }

    /// The most bytes that ever waited for the consumer at once (the back-pressure bound, for tests).
    var peakQueuedBytes: Int { state.withLock { $0.peakQueuedBytes } }

    /// Starts the thread that drives the process; it ends after the process is reaped.
    func start() {
        let thread = PumpThread { [self] in self.run() }
        thread.start()
    }

    /// The next chunk, or the end. Cancelling the calling task kills the process group.
    func next() async -> Event {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Event, Never>) in
                let (event, freedSlot): (Event?, Bool) = state.withLock { state in
                    if !state.queue.isEmpty {
                        let wasFull = state.queue.count >= maxQueued
                        let chunk = state.queue.removeFirst()
                        state.queuedBytes -= chunk.count
                        return (.chunk(chunk), wasFull)
                    }
                    if let outcome = state.outcome { return (.end(outcome), false) }
                    if state.abandoned { return (.end(ProcessOutcome(cancelled: true)), false) }
                    state.waiter = continuation
                    return (nil, false)
                }
                if freedSlot { wake() }
                if let event { continuation.resume(returning: event) }
            }
        } onCancel: {
            abandon()
        }
    }

    /// The consumer is gone: kill the process group; the thread drains and reaps it.
    func abandon() {
        let waiter = state.withLock { state -> CheckedContinuation<Event, Never>? in
            if state.outcome != nil { return nil }
            state.abandoned = true
            if !state.reaped { process.killGroup() }
            defer { state.waiter = nil }
            return state.waiter
        }
        wake()
        waiter?.resume(returning: .end(ProcessOutcome(cancelled: true)))
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    private func deliver(_ chunk: [UInt8]) {
        let waiter = state.withLock { state -> CheckedContinuation<Event, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.queue.append(chunk)
            state.queuedBytes += chunk.count
            state.peakQueuedBytes = max(state.peakQueuedBytes, state.queuedBytes)
            return nil
        }
        waiter?.resume(returning: .chunk(chunk))
    }

    private func finish(_ outcome: ProcessOutcome) {
        let waiter = state.withLock { state -> CheckedContinuation<Event, Never>? in
            state.outcome = outcome
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: .end(outcome))
    }

    private func millisecondsLeft() -> Int32 {
        let left = deadline - ContinuousClock.now
        if left <= .zero { return 0 }
        let (seconds, attoseconds) = left.components
        return Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
    }

    /// The thread body: poll, read, enforce the deadline, reap.
    private func run() {
        var stdoutOpen = true
        var stderrOpen = true
        var killed = false
        var timedOut = false
        var abandoned = false
        var killedAt: ContinuousClock.Instant? = nil
        var errors = BoundedTail(limit: stderrLimit)
        var scratch = [UInt8](repeating: 0, count: 4096)

        while stdoutOpen || stderrOpen {
            let (roomForMore, gone) = state.withLock { ($0.queue.count < maxQueued, $0.abandoned) }
            abandoned = gone
            if abandoned && !killed {
                process.killGroup()
                killed = true
            }
            if !killed && millisecondsLeft() == 0 {
                process.killGroup()
                killed = true
                timedOut = true
            }
            var fds: [pollfd] = []
            let readStdout = stdoutOpen && (roomForMore || killed)
            if readStdout { fds.append(pollfd(fd: process.stdoutFD, events: Int16(POLLIN), revents: 0)) }
            if stderrOpen { fds.append(pollfd(fd: process.stderrFD, events: Int16(POLLIN), revents: 0)) }
            fds.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
            // After a kill, pipes close as soon as the group is gone (which can take a moment on a loaded
            // machine); only something outside the group could hold them longer, so give up after 2 s.
            if killed && killedAt == nil { killedAt = .now }
            let timeout = killed ? Int32(100) : millisecondsLeft()
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            if ready == 0, let killedAt, ContinuousClock.now - killedAt > .seconds(2) {
                break
            }
            for entry in fds where entry.revents != 0 {
                if entry.fd == wakeRead {
                    while read(wakeRead, &scratch, scratch.count) > 0 {}
                } else if entry.fd == process.stdoutFD {
                    var chunk = [UInt8](repeating: 0, count: chunkSize)
                    let count = chunk.withUnsafeMutableBytes { read(process.stdoutFD, $0.baseAddress, $0.count) }
                    if count > 0 {
                        if !killed {
                            chunk.removeLast(chunk.count - count)
                            deliver(chunk)
                        }
                    } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                        stdoutOpen = false
                    }
                } else if entry.fd == process.stderrFD {
                    let count = read(process.stderrFD, &scratch, scratch.count)
                    if count > 0 {
                        errors.append(scratch[0..<count])
                    } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                        stderrOpen = false
                    }
                }
            }
        }
        close(process.stdoutFD)
        close(process.stderrFD)

        var outcome = reap(killed: &killed, timedOut: &timedOut)
        outcome.timedOut = timedOut
        outcome.cancelled = abandoned || state.withLock { $0.abandoned }
        outcome.standardError = errors.text
        finish(outcome)
    }

    /// Waits for the process to exit, killing the group if the deadline passes first.
    private func reap(killed: inout Bool, timedOut: inout Bool) -> ProcessOutcome {
        var status: Int32 = 0
        while true {
            // Reap under the lock so `abandon()` never signals a pid that was already reaped (and reused).
            let result = state.withLock { state in
                let result = waitpid(process.pid, &status, WNOHANG)
                if result == process.pid || (result < 0 && errno != EINTR) { state.reaped = true }
                return result
            }
            if result == process.pid { break }
            if result < 0 {
                if errno == EINTR { continue }
                return ProcessOutcome()
            }
            if !killed && (millisecondsLeft() == 0 || state.withLock { $0.abandoned }) {
                timedOut = millisecondsLeft() == 0
                process.killGroup()
                killed = true
            }
            usleep(5_000)
        }
        let signal = status & 0x7F
        if signal == 0 {
            return ProcessOutcome(exitCode: (status >> 8) & 0xFF)
        }
        return ProcessOutcome(signal: signal)
    }
}
