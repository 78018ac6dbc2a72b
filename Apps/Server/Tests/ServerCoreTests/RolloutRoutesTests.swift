import Foundation
import GRDB
import HTTPCore
import ProstagmaProtocol
import Synchronization
import Testing

@testable import ServerCore

@Suite(.timeLimit(.minutes(2))) struct RolloutRoutesTests {
    static func decode<T: Decodable>(_ type: T.Type, _ response: TestServer.Response) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(response.body))
    }

    /// One long poll of `agent`, saying it has `after`; answers at once unless `wait` is given.
    static func poll(_ server: TestServer, _ agent: String, after: Int64, wait: Double = 0) async throws -> Int64 {
        let epoch = server.components.store.epoch
        let response = try await server.send(
            .GET, "/v1/triggers/app?after=\(after)&epoch=\(epoch)&wait=\(wait)",
            headers: [(HeaderName.agent, agent)], bearer: true)
        #expect(response.status == 200, "\(response.text)")
        return try decode(TriggerState.self, response).count
    }

    static func setPolicy(_ server: TestServer, _ body: String) async throws {
        let response = try await server.send(.PUT, "/v1/triggers/app/policy", body: body, bearer: true)
        #expect(response.status == 200, "\(response.text)")
    }

    static func rollout(_ server: TestServer) async throws -> Rollout {
        try decode(Rollout.self, try await server.send(.GET, "/v1/triggers/app/rollout", bearer: true))
    }

    @Test func aPolicyIsReadBackAndNullWhenThereIsNone() async throws {
        let server = try await TestServer()
        let none = try await server.send(.GET, "/v1/triggers/app/policy", bearer: true)
        #expect(none.status == 200 && none.text == "null", "\(none.text)")
        try await Self.setPolicy(server, #"{"max_parallel": "20%", "canary": 1}"#)
        let read = try Self.decode(
            RolloutPolicy.self, try await server.send(.GET, "/v1/triggers/app/policy", bearer: true))
        #expect(read == RolloutPolicy(maxParallel: .percent(20), canary: 1))
        #expect(try await server.components.store.loadPolicies()["app"] == read)
        let removed = try await server.send(.DELETE, "/v1/triggers/app/policy", bearer: true)
        #expect(removed.status == 200 && removed.text == "null")
        #expect(try await server.send(.GET, "/v1/triggers/app/policy", bearer: true).text == "null")
    }

    @Test(arguments: [
        (#"{"max_parallel": "x%"}"#, "max_parallel"),
        (#"{"max_parallel": 0}"#, "max_parallel"),
        (#"{"max_parallel": "120%"}"#, "max_parallel"),
        (#"{"canary": -1}"#, "canary"),
        (#"{"canary": "one"}"#, "canary"),
        (#"{"canary_soak": 30}"#, "canary_soak"),
        (#"{"halt_on_failure": "yes"}"#, "halt_on_failure"),
    ])
    func aBadPolicyIsA422NamingTheField(body: String, field: String) async throws {
        let server = try await TestServer()
        let response = try await server.send(.PUT, "/v1/triggers/app/policy", body: body, bearer: true)
        #expect(response.status == 422, "\(response.text)")
        #expect((try response.json()["detail"] as? String)?.contains(field) == true, "\(response.text)")
        #expect(try await server.send(.GET, "/v1/triggers/app/policy", bearer: true).text == "null")
    }

    @Test func withoutAPolicyThereIsNoRolloutAndNoGate() async throws {
        let server = try await TestServer()
        _ = try await Self.poll(server, "a", after: 0)
        _ = try await server.send(.POST, "/v1/triggers/app", bearer: true)
        #expect(try await Self.poll(server, "b", after: 0) == 1)
        let missing = try await server.send(.GET, "/v1/triggers/app/rollout", bearer: true)
        #expect(missing.status == 404 && missing.text.contains("no_rollout"), "\(missing.text)")
        let control = try await server.send(.POST, "/v1/triggers/app/rollout/pause", bearer: true)
        #expect(control.status == 404)
    }

    @Test func agentsSeeTheNewCountOnlyOnceAdmittedAndAReportAdmitsTheNext() async throws {
        let server = try await TestServer()
        try await Self.setPolicy(server, #"{"max_parallel": 1}"#)
        for agent in ["b", "a"] { _ = try await Self.poll(server, agent, after: 0) }
        _ = try await server.send(.POST, "/v1/triggers/app", body: #"{"params": {"v": "1"}}"#, bearer: true)
        #expect(try await Self.poll(server, "a", after: 0) == 1, "a goes first, by name")
        #expect(try await Self.poll(server, "b", after: 0) == 0, "b waits")
        let original = try await server.send(.GET, "/trigger", body: #"{"secret": "test-secret", "trigger": "app"}"#)
        #expect(try original.json()["count"] as? Int == 1, "the original protocol is not gated")
        async let woken = Self.poll(server, "b", after: 0, wait: 30)
        try await eventually("b's poll to be open") {
            try await Self.rollout(server).agents.contains { $0.name == "b" }
                && server.components.hub.notifier(
                    for: "app"
                ).waiterCount >= 1
        }
        try await ReleaseRoutesTests.report(server, agent: "a", count: 1, status: "succeeded")
        #expect(try await woken == 1, "the report freed a's slot and b's poll woke")
        let midway = try await Self.rollout(server)
        #expect(midway.state == .running)
        #expect(midway.agents.map(\.place) == [.succeeded, .admitted])
        try await ReleaseRoutesTests.report(server, agent: "b", count: 1, status: "succeeded")
        #expect(try await Self.rollout(server).state == .succeeded)
    }

    @Test func aFailureHaltsAndAWaitingCIAnswers409AtOnceNamingWhoNeverRan() async throws {
        let server = try await TestServer()
        try await Self.setPolicy(server, #"{"max_parallel": 1}"#)
        for agent in ["a", "b", "c"] { _ = try await Self.poll(server, agent, after: 0) }
        async let deploy = server.send(.POST, "/v1/triggers/app?wait=60", bearer: true)
        try await eventually("the increment") { server.components.hub.current("app").count == 1 }
        #expect(try await Self.poll(server, "a", after: 0) == 1)
        try await ReleaseRoutesTests.report(server, agent: "a", count: 1, status: "failed")
        let answer = try await deploy
        #expect(answer.status == 409, "\(answer.text)")
        let outcome = try Self.decode(DeployOutcome.self, answer)
        #expect(outcome.runs.map(\.agent) == ["a"])
        #expect(outcome.pending == ["b", "c"])
        let halted = try await Self.rollout(server)
        #expect(halted.state == .halted && halted.haltedBy == "a" && halted.neverRan == ["b", "c"])
        #expect(try await Self.poll(server, "b", after: 0) == 0, "a halt admits nobody")
        let resumed = try Self.decode(
            Rollout.self, try await server.send(.POST, "/v1/triggers/app/rollout/resume", bearer: true))
        #expect(resumed.state == .running && resumed.agents.map(\.place) == [.failed, .admitted, .waiting])
        #expect(try await Self.poll(server, "b", after: 0) == 1)
    }

    @Test func controlsFollowTheRolloutsStateAndSayWhyWhenRefused() async throws {
        let server = try await TestServer()
        try await Self.setPolicy(server, #"{"max_parallel": 1, "canary": 1}"#)
        for agent in ["a", "b"] { _ = try await Self.poll(server, agent, after: 0) }
        _ = try await server.send(.POST, "/v1/triggers/app", bearer: true)
        let bad = try await server.send(.POST, "/v1/triggers/app/rollout/explode", bearer: true)
        #expect(bad.status == 404 && bad.text.contains("pause, resume, promote, abort"), "\(bad.text)")
        let paused = try await server.send(.POST, "/v1/triggers/app/rollout/pause", bearer: true)
        #expect(try Self.decode(Rollout.self, paused).state == .paused)
        let again = try await server.send(.POST, "/v1/triggers/app/rollout/pause", bearer: true)
        #expect(again.status == 409 && again.text.contains("it is paused"), "\(again.text)")
        _ = try await server.send(.POST, "/v1/triggers/app/rollout/resume", bearer: true)
        try await ReleaseRoutesTests.report(server, agent: "a", count: 1, status: "succeeded")
        #expect(try await Self.rollout(server).state == .paused, "the canary pause")
        #expect(try await Self.poll(server, "b", after: 0) == 0)
        let promoted = try await server.send(.POST, "/v1/triggers/app/rollout/promote", bearer: true)
        #expect(try Self.decode(Rollout.self, promoted).state == .running)
        #expect(try await Self.poll(server, "b", after: 0) == 1)
        let aborted = try await server.send(.POST, "/v1/triggers/app/rollout/abort", bearer: true)
        #expect(try Self.decode(Rollout.self, aborted).state == .aborted)
        let webhookOnly = try await server.send(.POST, "/v1/triggers/app/rollout/resume")
        #expect(webhookOnly.status == 401)
    }

    @Test func aNewIncrementSupersedesTheRollout() async throws {
        let server = try await TestServer()
        try await Self.setPolicy(server, #"{"max_parallel": 1}"#)
        for agent in ["a", "b"] { _ = try await Self.poll(server, agent, after: 0) }
        _ = try await server.send(.POST, "/v1/triggers/app", bearer: true)
        #expect(try await Self.poll(server, "a", after: 0) == 1)
        _ = try await server.send(.POST, "/v1/triggers/app", bearer: true)
        let newest = try await Self.rollout(server)
        #expect(newest.count == 2 && newest.agents.map(\.place) == [.admitted, .waiting])
        #expect(try await Self.poll(server, "b", after: 0) == 0, "b was never admitted to #1 either")
        #expect(try await Self.poll(server, "a", after: 1) == 2)
    }

    @Test func policiesAndRolloutsSurviveAReopenedStore() async throws {
        let directory = TemporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var machine = RolloutMachine(
            trigger: "app", count: 3, policy: RolloutPolicy(maxParallel: .count(1)), agents: ["a", "b"],
            previous: nil, now: Date(timeIntervalSince1970: 1_800_000_000))
        machine.reported("a", count: 3, succeeded: true, now: Date(timeIntervalSince1970: 1_800_000_001))
        let saved = machine
        do {
            let store = try SQLiteStore(directory: directory)
            try await store.setPolicy(RolloutPolicy(canary: 2), trigger: "app", now: Date())
            try await store.saveRollout(of: "app") { saved }
            try await store.close()
        }
        let store = try SQLiteStore(directory: directory)
        #expect(try await store.loadPolicies() == ["app": RolloutPolicy(canary: 2)])
        #expect(try await store.loadRollouts() == [saved])
        try await store.close()
    }

    @Test func aRestartedServerCarriesOnWithoutAdmittingAnyoneTwice() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        do {
            let server = try await TestServer(directory: directory.path)
            try await Self.setPolicy(server, #"{"max_parallel": 1}"#)
            for agent in ["a", "b", "c"] { _ = try await Self.poll(server, agent, after: 0) }
            _ = try await server.send(.POST, "/v1/triggers/app", bearer: true)
            #expect(try await Self.poll(server, "a", after: 0) == 1)
            try await server.components.store.close()
        }
        let server = try await TestServer(directory: directory.path)
        #expect(try await Self.rollout(server).agents.map(\.place) == [.admitted, .waiting, .waiting])
        #expect(try await Self.poll(server, "b", after: 0) == 0, "the cap still holds")
        #expect(try await Self.poll(server, "a", after: 1) == 1)
        try await ReleaseRoutesTests.report(server, agent: "a", count: 1, status: "succeeded")
        #expect(try await Self.poll(server, "b", after: 0) == 1)
        #expect(try await Self.poll(server, "c", after: 0) == 0)
    }

    @Test func aRolloutLostToACrashAfterItsIncrementIsMadeAgainAtStart() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        do {
            let server = try await TestServer(directory: directory.path)
            try await Self.setPolicy(server, #"{"max_parallel": 1}"#)
            for agent in ["a", "b"] { _ = try await Self.poll(server, agent, after: 0) }
            _ = try await server.send(.POST, "/v1/triggers/app", bearer: true)
            #expect(try await Self.poll(server, "a", after: 0) == 1)
            await server.components.flushAgents()  // as the background service does every 5 s
            // As if the server died between the increment's commit and the rollout's save.
            let store = try #require(server.components.store as? SQLiteStore)
            try await store.pool.write { try $0.execute(sql: "DELETE FROM rollouts") }
            try await store.close()
        }
        let server = try await TestServer(directory: directory.path)
        #expect(try await Self.poll(server, "b", after: 0) == 0, "b is gated, not shown the count")
        #expect(try await Self.poll(server, "a", after: 1) == 1, "a already had it: admitted, not again")
        let rollout = try await Self.rollout(server)
        #expect(rollout.agents.map(\.place) == [.admitted, .waiting])
    }

    @Test func autoRollbackRedeploysTheLastGoodReleaseAfterAHalt() async throws {
        let server = try await TestServer()
        _ = try await Self.poll(server, "a", after: 0)
        _ = try await server.send(.POST, "/v1/triggers/app", body: #"{"params": {"v": "good"}}"#, bearer: true)
        try await ReleaseRoutesTests.report(server, agent: "a", count: 1, status: "succeeded")
        try await Self.setPolicy(server, #"{"max_parallel": 1, "auto_rollback": true}"#)
        for agent in ["a", "b"] { _ = try await Self.poll(server, agent, after: 1) }
        _ = try await server.send(.POST, "/v1/triggers/app", body: #"{"params": {"v": "bad"}}"#, bearer: true)
        #expect(try await Self.poll(server, "a", after: 1) == 2)
        try await ReleaseRoutesTests.report(server, agent: "a", count: 2, status: "failed")
        let current = server.components.hub.current("app")
        #expect(current.count == 3 && current.release?.rollbackOf == 1, "rolled back to #1")
        #expect(current.release?.requestedBy == "auto_rollback")
        #expect(current.release?.params == ["v": "good"])
        #expect(try await Self.poll(server, "a", after: 2) == 3, "the agent that ran the bad one goes first")
        #expect(try await Self.poll(server, "b", after: 1) == 1, "b never ran #2, and waits for #3")
    }

    @Test func aSilentAdmittedAgentIsGoneAfterTheDeadlineAndTheNextIsAdmitted() async throws {
        let server = try await TestServer()
        try await Self.setPolicy(server, #"{"max_parallel": 1}"#)
        for agent in ["a", "b"] { _ = try await Self.poll(server, agent, after: 0) }
        _ = try await server.send(.POST, "/v1/triggers/app", bearer: true)
        let later = Date().addingTimeInterval(RolloutMachine.defaultSilenceDeadline + 60)
        // b keeps polling; a is never heard from again.
        try await server.components.rollouts.polled("app", agent: "b", handled: 0, current: 1, now: later)
        await server.components.rollouts.tick(now: later)
        let rollout = try await Self.rollout(server)
        #expect(rollout.agents.map(\.place) == [.gone, .admitted])
        #expect(try await Self.poll(server, "b", after: 0) == 1)
    }

    @Test func aReleaseMadeAfterThePolicyIsRemovedReachesEveryoneAtOnce() async throws {
        let server = try await TestServer()
        try await Self.setPolicy(server, #"{"max_parallel": 1}"#)
        for agent in ["a", "b"] { _ = try await Self.poll(server, agent, after: 0) }
        _ = try await server.send(.POST, "/v1/triggers/app", bearer: true)
        #expect(try await Self.poll(server, "b", after: 0) == 0)
        _ = try await server.send(.DELETE, "/v1/triggers/app/policy", bearer: true)
        #expect(try await Self.poll(server, "b", after: 0) == 0, "removing the policy applies from the next release")
        _ = try await server.send(.POST, "/v1/triggers/app", bearer: true)
        #expect(try await Self.poll(server, "b", after: 0) == 2)
        #expect(try await Self.rollout(server).count == 1, "the newest rollout is still shown")
        try await Self.setPolicy(server, #"{"max_parallel": 1}"#)
        _ = try await server.send(.POST, "/v1/triggers/app", bearer: true)
        #expect(try await Self.poll(server, "b", after: 2) == 2, "b keeps #2, which it saw ungated")
        #expect(try await Self.poll(server, "a", after: 2) == 3)
    }

    @Test func everyRolloutAnswerConformsToTheDocument() async throws {
        let spec = OpenAPISpec.served
        let server = try await TestServer()
        func expectConforms(_ response: TestServer.Response, _ method: String, _ path: String) {
            #expect(spec.documents(method, path, status: response.status), "\(method) \(path) → \(response.status)")
            if let schema = spec.responseSchema(method, path, status: response.status) {
                #expect(spec.violations(ofJSON: response.body, against: schema) == [], "\(path): \(response.text)")
            }
        }
        let body = #"{"max_parallel": "50%", "canary": 1, "canary_soak": 60}"#
        expectConforms(
            try await server.send(.GET, "/v1/triggers/app/policy", bearer: true), "get", "/v1/triggers/{name}/policy")
        expectConforms(
            try await server.send(.PUT, "/v1/triggers/app/policy", body: body, bearer: true), "put",
            "/v1/triggers/{name}/policy")
        expectConforms(
            try await server.send(.GET, "/v1/triggers/app/policy", bearer: true), "get", "/v1/triggers/{name}/policy")
        for agent in ["a", "b", "c"] { _ = try await Self.poll(server, agent, after: 0) }
        _ = try await server.send(.POST, "/v1/triggers/app", bearer: true)
        try await ReleaseRoutesTests.report(server, agent: "a", count: 1, status: "failed")
        expectConforms(
            try await server.send(.GET, "/v1/triggers/app/rollout", bearer: true), "get", "/v1/triggers/{name}/rollout")
        for action in ["pause", "resume", "resume", "promote", "abort"] {
            expectConforms(
                try await server.send(.POST, "/v1/triggers/app/rollout/\(action)", bearer: true), "post",
                "/v1/triggers/{name}/rollout/\(action)")
        }
        let bad = try await server.send(.PUT, "/v1/triggers/app/policy", body: #"{"canary": -1}"#, bearer: true)
        #expect(bad.status == 422)
        expectConforms(bad, "put", "/v1/triggers/{name}/policy")
    }

    /// A poll that began before the trigger's first gated release took the ungated path; waking on that release it
    /// must not answer the new count (it did, before the gate was checked again after the wait).
    @Test func aPollOpenBeforeTheFirstGatedReleaseStaysGatedWhenItWakes() async throws {
        let server = try await TestServer()
        try await Self.setPolicy(server, #"{"max_parallel": 1}"#)
        for agent in ["a", "b"] { _ = try await Self.poll(server, agent, after: 0) }
        async let woken = Self.poll(server, "b", after: 0, wait: 30)
        try await eventually("b's poll to be open") { server.components.hub.notifier(for: "app").waiterCount >= 1 }
        _ = try await server.send(.POST, "/v1/triggers/app", bearer: true)
        #expect(try await Self.poll(server, "a", after: 0) == 1)
        try await eventually("b's poll to wait on, not answer, the release") {
            try await Self.rollout(server).agents.map(\.place) == [.admitted, .waiting]
                && server.components.hub.notifier(for: "app").waiterCount >= 1
        }
        try await ReleaseRoutesTests.report(server, agent: "a", count: 1, status: "succeeded")
        #expect(try await woken == 1)
    }

    /// Six agents long-poll at once, as real ones do; d's run fails. Admission is by name two at a time, so never more
    /// than two run at once, those that ran are a, b, c, d and perhaps e (admitted when c finished before d failed;
    /// it then reports only after the halt), and f, whose only chance would come after the halt, never runs.
    @Test func sixConcurrentAgentsRunInWavesAndTheHaltDoesNotLeak() async throws {
        let server = try await TestServer()
        try await Self.setPolicy(server, #"{"max_parallel": 2}"#)
        let names = ["a", "b", "c", "d", "e", "f"]
        for agent in names { _ = try await Self.poll(server, agent, after: 0) }
        let running = RunTally()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for name in names {
                group.addTask {
                    while try await Self.poll(server, name, after: 0, wait: 30) != 1 { try Task.checkCancellation() }
                    running.state.withLock {
                        $0.now += 1
                        $0.most = max($0.most, $0.now)
                        $0.ran.append(name)
                    }
                    for _ in 0..<10 { await Task.yield() }
                    running.state.withLock { $0.now -= 1 }
                    if name > "d" {
                        // Holds its slot until d's failure halts the rollout, so the halt must stop f on its own.
                        try await eventually("the halt") { try await Self.rollout(server).state == .halted }
                    }
                    try await ReleaseRoutesTests.report(
                        server, agent: name, count: 1, status: name == "d" ? "failed" : "succeeded")
                }
            }
            try await eventually("every long poll to be open") {
                server.components.hub.notifier(for: "app").waiterCount >= names.count
            }
            _ = try await server.send(.POST, "/v1/triggers/app", bearer: true)
            try await eventually("the halt, with every admitted agent reported") {
                let rollout = try await Self.rollout(server)
                return rollout.state == .halted && !rollout.agents.contains { $0.place == .admitted }
            }
            group.cancelAll()
            while let _ = try? await group.next() {}
        }
        let (most, ran) = running.state.withLock { ($0.most, $0.ran) }
        #expect(most <= 2, "at most max_parallel ran at once")
        let rollout = try await Self.rollout(server)
        #expect(rollout.haltedBy == "d", "\(rollout)")
        #expect(ran.sorted() == Array(names.prefix(ran.count)), "admitted in name order")
        #expect(ran.count >= 4 && ran.count <= 5, "\(ran)")
        #expect(rollout.neverRan == Array(names.dropFirst(ran.count)), "\(rollout)")
    }
}

/// How many simulated runs are under way, the most at once, and who ran.
final class RunTally: Sendable {
    let state = Mutex((now: 0, most: 0, ran: [String]()))
}
