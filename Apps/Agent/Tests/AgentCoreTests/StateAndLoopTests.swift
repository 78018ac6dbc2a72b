import Foundation
import Synchronization
import Testing

@testable import AgentCore

@Suite(.timeLimit(.minutes(1))) struct StateStoreTests {
    @Test func savesAndLoadsAtomically() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.file("nested/state"))
        #expect(try store.load("web") == nil)
        try store.save(HandledState(trigger: "web", epoch: "e1", count: 4))
        try store.save(HandledState(trigger: "web", epoch: "e1", count: 5))
        #expect(try store.load("web") == HandledState(trigger: "web", epoch: "e1", count: 5))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.file("nested/state"))
        #expect(files == ["web.json"], "no temporary file left behind")
        let text = try String(contentsOfFile: store.path(for: "web"), encoding: .utf8)
        #expect(text == "{\"count\":5,\"epoch\":\"e1\",\"trigger\":\"web\"}\n")
    }

    @Test func aTriggerCanBeLockedOnlyOnce() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.path)
        let fd = try store.lock("web")
        let error = #expect(throws: AgentError.self) { try store.lock("web") }
        #expect(error?.message.contains("another agent already watches `web`") == true)
        let other = try store.lock("db")
        close(other)
        close(fd)
        // Free again once closed. A process that another test forks meanwhile holds a copy of the descriptor (and so
        // the lock) until it execs (`O_CLOEXEC`), so the lock is retried within a deadline.
        var relocked: Int32 = -1
        let free = try await eventually {
            guard let fd = try? store.lock("web") else { return false }
            relocked = fd
            return true
        }
        #expect(free, "the lock was not free again after its descriptor closed")
        if relocked >= 0 { close(relocked) }
    }

    @Test func aCorruptStateFileIsAnErrorThatNamesIt() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("web.json", "{\"count\": ")
        let store = try StateStore(directory: dir.path)
        let error = #expect(throws: AgentError.self) { try store.load("web") }
        #expect(error?.message.contains("web.json") == true)
    }
}

/// A source that plays back scripted poll results, then waits.
final class ScriptedSource: TriggerSource {
    let results: Mutex<[Result<PollResult, AgentError>]>
    init(_ results: [Result<PollResult, AgentError>]) { self.results = Mutex(results) }

    func poll(trigger: String, known: Observation?) async throws -> PollResult {
        let next = results.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        guard let next else {
            try await Task.sleep(for: .seconds(3600))
            throw CancellationError()
        }
        return try next.get()
    }
}

func v1(_ count: Int, _ epoch: String = "e1") -> PollResult {
    PollResult(observation: Observation(count: count, epoch: epoch), serverProtocol: .v1)
}

func report(_ context: RunContext, _ status: RunStatus) -> RunReport {
    RunReport(
        id: context.runID, agent: context.agent, host: context.host, trigger: context.trigger,
        count: Int64(context.count),
        epoch: context.epoch, status: status, startedAt: "", finishedAt: "", steps: [], logTail: "")
}

@Suite(.timeLimit(.minutes(5))) struct TriggerLoopTests {
    func loop(_ dir: TemporaryDirectory, log: CapturedLog, run: @escaping @Sendable (RunContext) async -> RunReport)
        throws -> TriggerLoop
    {
        TriggerLoop(
            trigger: "app", store: try StateStore(directory: dir.path), runScript: run, reporter: nil,
            makeRunID: { UUID().uuidString }, agent: "a", host: "h", logger: log.logger)
    }

    @Test func firstStartAdoptsAndRunsNothing() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let runs = Collector<Int>()
        let log = CapturedLog()
        let l = try loop(dir, log: log) {
            runs.append($0.count); return report($0, .succeeded)
        }
        let (stream, cont) = AsyncStream.makeStream(of: PollResult.self)
        cont.yield(v1(5))
        cont.finish()
        try await l.run(states: stream)
        #expect(runs.all.isEmpty)
        #expect(try l.store.load("app")?.count == 5)
    }

    @Test func triggersDuringARunCoalesceIntoOneMoreRunForTheNewestCount() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try StateStore(directory: dir.path).save(HandledState(trigger: "app", epoch: "e1", count: 1))
        let runs = Collector<Int>()
        let firstRunStarted = Latch()
        let releaseFirstRun = Latch()
        let log = CapturedLog()
        var l = try loop(dir, log: log) { context in
            runs.append(context.count)
            if context.count == 2 {
                firstRunStarted.open()
                await releaseFirstRun.wait()
            }
            return report(context, .succeeded)
        }
        let reported = Collector<Int>()
        l.onRunFinished = { report, _ in reported.append(Int(report.count)) }
        let (stream, cont) = AsyncStream.makeStream(of: PollResult.self, bufferingPolicy: .bufferingNewest(1))
        let finalLoop = l
        async let done: Void = finalLoop.run(states: stream)
        cont.yield(v1(2))
        await firstRunStarted.wait()
        for count in 3...6 { cont.yield(v1(count)) }
        releaseFirstRun.open()
        cont.finish()
        try await done
        #expect(runs.all == [2, 6])
        #expect(reported.all == [2, 6])
        #expect(try l.store.load("app")?.count == 6)
    }

    @Test func aCancelledRunIsNotMarkedHandled() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try StateStore(directory: dir.path).save(HandledState(trigger: "app", epoch: "e1", count: 1))
        let log = CapturedLog()
        var l = try loop(dir, log: log) { report($0, .cancelled) }
        let reported = Collector<Int>()
        l.onRunFinished = { report, _ in reported.append(Int(report.count)) }
        let (stream, cont) = AsyncStream.makeStream(of: PollResult.self)
        cont.yield(v1(2))
        cont.yield(v1(3))
        cont.finish()
        try await l.run(states: stream)
        #expect(reported.all == [2], "a cancelled run ends the loop")
        #expect(try l.store.load("app")?.count == 1)
    }

    @Test func aFailedRunIsHandled() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try StateStore(directory: dir.path).save(HandledState(trigger: "app", epoch: "e1", count: 1))
        let log = CapturedLog()
        let l = try loop(dir, log: log) { report($0, .failed) }
        let (stream, cont) = AsyncStream.makeStream(of: PollResult.self)
        cont.yield(v1(2))
        cont.finish()
        try await l.run(states: stream)
        #expect(try l.store.load("app")?.count == 2)
    }

    @Test func aNewEpochIsAdoptedWithAWarningAndRunsNothing() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try StateStore(directory: dir.path).save(HandledState(trigger: "app", epoch: "e1", count: 9))
        let runs = Collector<Int>()
        let log = CapturedLog()
        let l = try loop(dir, log: log) {
            runs.append($0.count); return report($0, .succeeded)
        }
        let (stream, cont) = AsyncStream.makeStream(of: PollResult.self)
        cont.yield(v1(12, "e2"))
        cont.finish()
        try await l.run(states: stream)
        #expect(runs.all.isEmpty)
        #expect(try l.store.load("app") == HandledState(trigger: "app", epoch: "e2", count: 12))
        #expect(log.count(containing: "epoch changed") == 1)
    }

    @Test func reportsRunsOnlyToAV1Server() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try StateStore(directory: dir.path).save(HandledState(trigger: "app", epoch: nil, count: 1))
        final class Reporter: RunReporting {
            let seen = Collector<Int>()
            func report(_ report: RunReport) async throws { seen.append(Int(report.count)) }
        }
        let reporter = Reporter()
        let log = CapturedLog()
        var l = try loop(dir, log: log) { report($0, .succeeded) }
        l.reporter = reporter
        let (stream, cont) = AsyncStream.makeStream(of: PollResult.self)
        cont.yield(PollResult(observation: Observation(count: 2, epoch: nil), serverProtocol: .original))
        cont.yield(v1(3))
        cont.finish()
        try await l.run(states: stream)
        #expect(reporter.seen.all == [3])
    }

    /// An agent runs for months: what the loop holds after 1,000 runs must be no more than after 10.
    @Test func aThousandRunsLeaveNothingBehind() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try StateStore(directory: dir.path).save(HandledState(trigger: "app", epoch: "e1", count: 0))
        let finished = Mutex(0)
        var l = try loop(dir, log: CapturedLog()) { report($0, .succeeded) }
        l.onRunFinished = { _, _ in finished.withLock { $0 += 1 } }
        let finalLoop = l
        func drive(_ counts: ClosedRange<Int>) async throws -> Int {
            let (stream, cont) = AsyncStream.makeStream(of: PollResult.self)
            for count in counts { cont.yield(v1(count)) }
            cont.finish()
            let returned: Any = try await finalLoop.run(states: stream)
            return structuralSize(returned) + structuralSize(finalLoop)
        }
        let afterTen = try await drive(1...10)
        let afterThousand = try await drive(11...1_010)
        #expect(finished.withLock { $0 } == 1_010)
        #expect(afterThousand <= afterTen, "held \(afterTen) after 10 runs, \(afterThousand) after 1,010")
    }
}

/// How much a value holds, counted through `Mirror`: one for the value plus its children, recursively (a
/// collection counts its elements). Reference cycles stop at a depth limit.
func structuralSize(_ value: Any, depth: Int = 0) -> Int {
    guard depth < 12 else { return 1 }
    return Mirror(reflecting: value).children.reduce(1) { $0 + structuralSize($1.value, depth: depth + 1) }
}

@Suite(.timeLimit(.minutes(5))) struct TriggerWatcherTests {
    @Test func backsOffWithOneLogLinePerChangeAndNoRunOnReconnect() async throws {
        let failure = AgentError.server("connection refused")
        let source = ScriptedSource([
            .success(v1(4)), .failure(failure), .failure(failure), .failure(failure), .success(v1(4)), .success(v1(5)),
        ])
        let sleeps = Collector<Duration>()
        let log = CapturedLog()
        let watcher = TriggerWatcher(
            trigger: "app", source: source, serverDescription: "S", pollInterval: .seconds(5), logger: log.logger,
            sleep: { sleeps.append($0) }, random: { 0.999 })
        let seen = Collector<Int>()
        let task = Task { await watcher.watch { seen.append($0.observation.count) } }
        #expect(try await eventually { seen.all.count >= 2 })
        task.cancel()
        await task.value
        #expect(seen.all == [4, 5], "the reconnect at 4 yields nothing")
        #expect(sleeps.all.count == 3)
        #expect(sleeps.all[0] < sleeps.all[1] && sleeps.all[1] < sleeps.all[2])
        #expect(log.count(containing: "unreachable") == 1)
        #expect(log.count(containing: "reachable again") == 1)
    }

    @Test func pollsAnOriginalServerEveryInterval() async throws {
        let original = PollResult(observation: Observation(count: 1, epoch: nil), serverProtocol: .original)
        let source = ScriptedSource([.success(original), .success(original), .success(original)])
        let sleeps = Collector<Duration>()
        let log = CapturedLog()
        let watcher = TriggerWatcher(
            trigger: "app", source: source, serverDescription: "S", pollInterval: .seconds(5), logger: log.logger,
            sleep: { sleeps.append($0) })
        let task = Task { await watcher.watch { _ in } }
        #expect(try await eventually { sleeps.all.count >= 3 })
        task.cancel()
        await task.value
        #expect(sleeps.all.prefix(3) == [.seconds(5), .seconds(5), .seconds(5)])
        #expect(log.count(containing: "no v1 API") == 1)
    }
}
