import Foundation
import Synchronization
import Testing

@testable import AgentCore

/// A server stand-in for `POST /v1/runs`: answers each report with the next scripted outcome
/// (nil: accepted), then accepts everything.
final class ScriptedReporter: RunReporting, Sendable {
    private let outcomes: Mutex<[AgentError?]>
    let accepted = Collector<String>()
    let attempts = Collector<String>()

    init(_ outcomes: [AgentError?] = []) { self.outcomes = Mutex(outcomes) }

    func report(_ report: RunReport) async throws {
        attempts.append(report.id ?? "")
        let outcome = outcomes.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        if let outcome { throw outcome }
        accepted.append(report.id ?? "")
    }

    static let down = AgentError(.server, "http://127.0.0.1:1: connection refused")
    static let unavailable = AgentError(.server, "POST /v1/runs answered HTTP 503", httpStatus: 503)
    static let refused = AgentError(.server, "POST /v1/runs answered HTTP 422: bad report", httpStatus: 422)
}

func finishedReport(_ id: String, count: Int = 1) -> RunReport {
    RunReport(
        id: id, agent: "a", host: "h", trigger: "app", count: Int64(count), epoch: "e1", status: .succeeded,
        startedAt: "", finishedAt: "", steps: [], logTail: "")
}

@Suite(.timeLimit(.minutes(5))) struct ReportOutboxTests {
    @Test func keepsReportsUntilTheServerTakesThemAndSendsThemInOrder() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let outbox = try ReportOutbox(stateDirectory: dir.path, trigger: "app")
        try outbox.add(finishedReport("r1"))
        try outbox.add(finishedReport("r2"))

        let down = ScriptedReporter([ScriptedReporter.down])
        let first = await outbox.deliver(through: down)
        #expect(first.delivered.isEmpty)
        #expect(first.failure?.contains("connection refused") == true)
        #expect(try outbox.pendingFiles().count == 2, "a failed attempt must keep every report")

        let second = await outbox.deliver(through: down)
        #expect(second.delivered == ["r1", "r2"])
        #expect(down.accepted.all == ["r1", "r2"])
        #expect(outbox.isEmpty)
    }

    @Test func aReportTheServerRefusesIsDroppedButA5xxIsRetried() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let outbox = try ReportOutbox(stateDirectory: dir.path, trigger: "app")
        try outbox.add(finishedReport("bad"))
        try outbox.add(finishedReport("good"))
        let reporter = ScriptedReporter([ScriptedReporter.refused, ScriptedReporter.unavailable])
        let pass = await outbox.deliver(through: reporter)
        #expect(pass.refused.map(\.id) == ["bad"])
        #expect(pass.failure?.contains("503") == true)
        #expect(try outbox.pendingFiles().map { ReportOutbox.runID(ofFile: $0) } == ["good"])
        #expect(await outbox.deliver(through: reporter).delivered == ["good"])
    }

    @Test func keepsAtMostItsCapacityDroppingTheOldest() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let outbox = try ReportOutbox(stateDirectory: dir.path, trigger: "app", capacity: 2)
        try outbox.add(finishedReport("r1"))
        try outbox.add(finishedReport("r2"))
        #expect(try outbox.add(finishedReport("r3")) == ["r1"])
        #expect(try outbox.pendingFiles().map { ReportOutbox.runID(ofFile: $0) } == ["r2", "r3"])
    }

    @Test func aRunThatEndsWhileTheServerIsDownIsReportedOnceItIsBack() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try StateStore(directory: dir.path).save(HandledState(trigger: "app", epoch: "e1", count: 1))
        let reporter = ScriptedReporter([ScriptedReporter.down, ScriptedReporter.down, ScriptedReporter.unavailable])
        let log = CapturedLog()
        var loop = TriggerLoop(
            trigger: "app", store: try StateStore(directory: dir.path),
            runScript: { finishedReport($0.runID, count: $0.count) }, reporter: reporter,
            makeRunID: { "run-2" }, agent: "a", host: "h", logger: log.logger)
        loop.outbox = try ReportOutbox(stateDirectory: dir.path, trigger: "app")
        loop.sleep = { _ in await Task.yield() }
        let ran = Collector<String>()
        loop.onRunFinished = { report, _ in ran.append(report.id ?? "") }
        let (states, continuation) = AsyncStream.makeStream(of: PollResult.self)
        continuation.yield(v1(2))
        let finalLoop = loop
        async let done: Void = finalLoop.run(states: states)
        // The stream stays open, as while the agent watches: delivery must happen without a new state.
        #expect(try await eventually { !reporter.accepted.all.isEmpty })
        continuation.finish()
        try await done
        #expect(ran.all == ["run-2"])
        #expect(reporter.accepted.all == ["run-2"])
        #expect(reporter.attempts.all == ["run-2", "run-2", "run-2", "run-2"])
        #expect(loop.outbox?.isEmpty == true)
        // One line when reports start waiting, one when they get through: not one per attempt.
        #expect(log.all.filter { $0.contains("could not report runs yet") }.count == 1, "\(log.all)")
        #expect(log.all.contains { $0.contains("reported 1 pending run(s)") }, "\(log.all)")
    }

    @Test func reportsLeftByAnEarlierAgentProcessAreDeliveredAtStart() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try ReportOutbox(stateDirectory: dir.path, trigger: "app").add(finishedReport("from-before-restart"))
        try StateStore(directory: dir.path).save(HandledState(trigger: "app", epoch: "e1", count: 1))
        let reporter = ScriptedReporter()
        var loop = TriggerLoop(
            trigger: "app", store: try StateStore(directory: dir.path),
            runScript: { finishedReport($0.runID, count: $0.count) }, reporter: reporter,
            makeRunID: { "unused" }, agent: "a", host: "h", logger: CapturedLog().logger)
        loop.outbox = try ReportOutbox(stateDirectory: dir.path, trigger: "app")
        let ran = Collector<String>()
        loop.onRunFinished = { report, _ in ran.append(report.id ?? "") }
        let (states, continuation) = AsyncStream.makeStream(of: PollResult.self)
        continuation.yield(v1(1))  // unchanged: nothing runs
        let finalLoop = loop
        async let done: Void = finalLoop.run(states: states)
        #expect(try await eventually { !reporter.accepted.all.isEmpty })
        continuation.finish()
        try await done
        #expect(ran.all.isEmpty)
        #expect(reporter.accepted.all == ["from-before-restart"])
    }
}
