import Foundation
import Synchronization
import Testing

@testable import AgentCore

func makeRelease(_ count: Int, _ params: [String: String], trigger: String = "app") -> Release {
    Release(
        trigger: trigger, count: Int64(count), params: params, note: "n\(count)", source: .api,
        createdAt: Date(timeIntervalSince1970: 1_700_000_000 + Double(count)))
}

func v1(_ count: Int, params: [String: String]) -> PollResult {
    PollResult(
        observation: Observation(count: count, epoch: "e1"), serverProtocol: .v1, release: makeRelease(count, params))
}

/// Releases in the agent's state and in the trigger loop: coalescing, durability across a kill, old state files.
@Suite(.timeLimit(.minutes(2))) struct ReleaseStateTests {
    @Test func theStateKeepsTheRunningReleaseAndReadsItBack() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.path)
        let state = HandledState(
            trigger: "app", epoch: "e1", count: 4, running: makeRelease(5, ["version": "1.4.2", "note_ish": "a \"b\""]))
        try store.save(state)
        #expect(try store.load("app") == state)
        try store.save(HandledState(trigger: "app", epoch: "e1", count: 5))
        #expect(
            try String(contentsOfFile: store.path(for: "app"), encoding: .utf8)
                == "{\"count\":5,\"epoch\":\"e1\",\"trigger\":\"app\"}\n", "no release kept once the run finished")
    }

    @Test func aStateFileFromBeforeReleasesStillLoads() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("app.json", "{\"count\":3,\"epoch\":\"e1\",\"trigger\":\"app\"}\n")
        #expect(try StateStore(directory: dir.path).load("app") == HandledState(trigger: "app", epoch: "e1", count: 3))
    }

    @Test func theReleaseOfARunIsTheObservedOneElseTheKeptOneOfTheSameCount() {
        let kept = HandledState(trigger: "app", epoch: "e1", count: 4, running: makeRelease(5, ["v": "kept"]))
        #expect(
            TriggerDecision.release(for: 5, observed: makeRelease(5, ["v": "new"]), stored: kept)?.params == [
                "v": "new"
            ])
        #expect(TriggerDecision.release(for: 5, observed: nil, stored: kept)?.params == ["v": "kept"])
        #expect(TriggerDecision.release(for: 7, observed: nil, stored: kept) == nil, "the server moved on")
        #expect(
            TriggerDecision.release(for: 7, observed: makeRelease(7, ["v": "7"]), stored: kept)?.params == ["v": "7"])
        #expect(TriggerDecision.release(for: 5, observed: makeRelease(4, ["v": "old"]), stored: nil) == nil)
    }
}

@Suite(.timeLimit(.minutes(2))) struct ReleaseLoopTests {
    func loop(_ dir: TemporaryDirectory, run: @escaping @Sendable (RunContext) async -> RunReport) throws
        -> TriggerLoop
    {
        TriggerLoop(
            trigger: "app", store: try StateStore(directory: dir.path), runScript: run, reporter: nil,
            makeRunID: { UUID().uuidString }, agent: "a", host: "h", logger: CapturedLog().logger)
    }

    @Test func coalescedStatesRunOnceWithTheNewestRelease() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try StateStore(directory: dir.path).save(HandledState(trigger: "app", epoch: "e1", count: 1))
        let runs = Collector<[String: String]>()
        let firstRunStarted = Latch()
        let finishFirstRun = Latch()
        let l = try loop(dir) { context in
            runs.append(context.params)
            if context.count == 2 {
                firstRunStarted.open()
                await finishFirstRun.wait()
            }
            return report(context, .succeeded)
        }
        let (stream, cont) = AsyncStream.makeStream(of: PollResult.self, bufferingPolicy: .bufferingNewest(1))
        async let done: Void = l.run(states: stream)
        cont.yield(v1(2, params: ["version": "2"]))
        await firstRunStarted.wait()
        for count in 3...6 { cont.yield(v1(count, params: ["version": "\(count)"])) }
        finishFirstRun.open()
        cont.finish()
        try await done
        #expect(runs.all == [["version": "2"], ["version": "6"]])
    }

    @Test func theReleaseIsKeptWhileItsRunGoesOnAndDroppedOnceItFinished() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.path)
        try store.save(HandledState(trigger: "app", epoch: "e1", count: 1))
        let keptDuringRun = Mutex<HandledState?>(nil)
        let l = try loop(dir) { context in
            keptDuringRun.withLock { $0 = try? store.load("app") }
            return report(context, .succeeded)
        }
        let (stream, cont) = AsyncStream.makeStream(of: PollResult.self)
        cont.yield(v1(2, params: ["version": "1.4.2"]))
        cont.finish()
        try await l.run(states: stream)
        #expect(
            keptDuringRun.withLock { $0 }
                == HandledState(trigger: "app", epoch: "e1", count: 1, running: makeRelease(2, ["version": "1.4.2"])))
        #expect(try store.load("app") == HandledState(trigger: "app", epoch: "e1", count: 2))
    }

    @Test func anInterruptedRunRunsAgainWithTheKeptParamsWhenTheServerSendsNone() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.path)
        try store.save(HandledState(trigger: "app", epoch: "e1", count: 1))
        // The first agent: its run of count 2 is cancelled (as kill -9 would leave it: not handled).
        let first = try loop(dir) { report($0, .cancelled) }
        let (stream, cont) = AsyncStream.makeStream(of: PollResult.self)
        cont.yield(v1(2, params: ["version": "1.4.2"]))
        cont.finish()
        try await first.run(states: stream)
        #expect(try store.load("app")?.running?.params == ["version": "1.4.2"])
        // The next agent: the server, back now, answers count 2 without a release.
        let runs = Collector<[String: String]>()
        let second = try loop(dir) {
            runs.append($0.params)
            return report($0, .succeeded)
        }
        let (again, more) = AsyncStream.makeStream(of: PollResult.self)
        more.yield(v1(2))
        more.finish()
        try await second.run(states: again)
        #expect(runs.all == [["version": "1.4.2"]])
        #expect(try store.load("app") == HandledState(trigger: "app", epoch: "e1", count: 2))
    }

    @Test func aServerWithoutReleasesGivesRunsNoParams() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try StateStore(directory: dir.path).save(HandledState(trigger: "app", epoch: nil, count: 1))
        let runs = Collector<[String: String]>()
        let l = try loop(dir) {
            runs.append($0.params)
            return report($0, .succeeded)
        }
        let (stream, cont) = AsyncStream.makeStream(of: PollResult.self)
        cont.yield(PollResult(observation: Observation(count: 2, epoch: nil), serverProtocol: .original))
        cont.yield(v1(3))
        cont.finish()
        try await l.run(states: stream)
        #expect(runs.all == [[:], [:]])
    }
}
