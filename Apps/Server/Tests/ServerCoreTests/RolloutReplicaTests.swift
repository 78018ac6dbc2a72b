import Foundation
import HTTPCore
import PostgresFixture
import ProstagmaProtocol
import Synchronization
import Testing

@testable import ServerCore

/// Rollouts with agents spread over two replicas of one PostgreSQL database: admission is decided on the stored
/// rollout, so `max_parallel`, halts and the operator's controls hold across replicas as in one process.
@Suite(.postgresCluster, .timeLimit(.minutes(3))) struct RolloutReplicaTests {
    static func report(_ server: LiveServer, agent: String, count: Int64, status: String) async throws {
        let epoch = server.components.store.epoch
        let run =
            #"{"agent": "\#(agent)", "trigger": "app", "count": \#(count), "epoch": "\#(epoch)", "status": "\#(status)"}"#
        let created = try await server.send(.POST, "/v1/runs", body: run, bearer: true)
        #expect(created.status == 201, "\(created.text)")
    }

    static func rollout(_ server: LiveServer) async throws -> Rollout {
        let response = try await server.send(.GET, "/v1/triggers/app/rollout", bearer: true)
        #expect(response.status == 200, "\(response.text)")
        return try JSONDecoder().decode(Rollout.self, from: Data(response.body))
    }

    /// Sets the policy on `a` and waits until `b` has it too.
    static func setPolicy(_ body: String, on a: LiveServer, seenBy b: LiveServer) async throws {
        let put = try await a.send(.PUT, "/v1/triggers/app/policy", body: body, bearer: true)
        #expect(put.status == 200, "\(put.text)")
        try await eventually("replica B learned the policy") { b.components.rollouts.policy(of: "app") != nil }
    }

    /// Increments on `a` and waits until `b` gates the new count.
    static func release(on a: LiveServer, seenBy b: LiveServer) async throws {
        let increment = try await a.send(.POST, "/v1/triggers/app", bearer: true)
        #expect(increment.status == 200, "\(increment.text)")
        try await eventually("replica B gates the release") { b.components.rollouts.isGated("app", count: 1) }
    }

    @Test func anUpdateIsAppliedToTheStoredMachineAndWrittenOnlyOnProgress() async throws {
        try await withStorePlace(.postgres) { place in
            let store = try #require(try await place.open() as? PostgresStore)
            let policy = RolloutPolicy(maxParallel: .count(1))
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            let mine = RolloutMachine(
                trigger: "app", count: 2, policy: policy, agents: ["a", "b"], previous: nil, now: start)
            let theirs = RolloutMachine(
                trigger: "app", count: 2, policy: policy, agents: ["c"], previous: nil, now: start)
            // Nothing stored: this replica's start is stored.
            let first = try #require(try await store.updateRollout(of: "app", fresh: theirs) { _ in })
            #expect(first.after.revision == 1 && first.after.machine == theirs)
            // A start of the same count made elsewhere loses to the stored one; the event applies to that.
            let second = try #require(
                try await store.updateRollout(of: "app", fresh: mine) { $0.polled("a", handled: 1, now: start) })
            #expect(second.before == theirs)
            #expect(second.after.revision == 2)
            #expect(second.after.machine.agents["c"]?.place == .admitted)
            #expect(second.after.machine.agents["a"]?.place == .waiting, "max_parallel 1 is taken by c")
            // A quiet poll writes nothing: the revision stays.
            let quiet = try #require(
                try await store.updateRollout(of: "app", fresh: nil) { $0.polled("a", handled: 1, now: start) })
            #expect(quiet.after.revision == 2)
            // An event that throws rolls back and is rethrown.
            await #expect(throws: ServerError.self) {
                _ = try await store.updateRollout(of: "app", fresh: nil) { machine throws(ServerError) in
                    try RolloutCoordinator.apply(.promote, to: &machine, now: start)
                }
            }
            #expect(
                try await store.storedRollout(of: "app") == StoredRollout(machine: quiet.after.machine, revision: 2))
            // A newer count's start replaces an older stored rollout.
            let next = RolloutMachine(
                trigger: "app", count: 3, policy: policy, agents: ["a"], previous: nil, now: start)
            let third = try #require(try await store.updateRollout(of: "app", fresh: next) { _ in })
            #expect(third.after.machine.count == 3 && third.after.revision == 3)
            #expect(try await store.updateRollout(of: "none", fresh: nil) { _ in } == nil)
        }
    }

    @Test func maxParallelHoldsForAgentsSpreadOverBothReplicas() async throws {
        try await ReplicaTests().withReplicas { a, b in
            try await Self.setPolicy(#"{"max_parallel": 2}"#, on: a, seenBy: b)
            // Each agent is known first to the replica it polls, so each replica, deciding alone, would start a
            // rollout admitting two agents of its own.
            let agents = (1...8).map { "agent-\($0)" }
            let home: @Sendable (Int) -> LiveServer = { index in index % 2 == 0 ? a : b }
            for (index, agent) in agents.enumerated() { _ = try await home(index).poll(agent, after: 0) }
            try await Self.release(on: a, seenBy: b)
            let running = RunningAgents()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, agent) in agents.enumerated() {
                    group.addTask {
                        let deadline = ContinuousClock.now + .seconds(90)
                        while try await home(index).poll(agent, after: 0, wait: 5) != 1 {
                            try #require(ContinuousClock.now < deadline, "\(agent) was never admitted")
                        }
                        running.state.withLock {
                            $0.now += 1
                            $0.most = max($0.most, $0.now)
                        }
                        // The deploy's run; then it leaves the running set before its report frees the slot.
                        try await Task.sleep(for: .milliseconds(30))
                        running.state.withLock { $0.now -= 1 }
                        // Reported to the other replica, as a load balancer may send it.
                        try await Self.report(home(index + 1), agent: agent, count: 1, status: "succeeded")
                    }
                }
                try await group.waitForAll()
            }
            let most = running.state.withLock { $0.most }
            #expect(most <= 2, "\(most) agents ran at once with max_parallel 2")
            #expect(most >= 1)
            for replica in [a, b] {
                try await eventually("both replicas see the rollout succeeded") {
                    let rollout = try await Self.rollout(replica)
                    return rollout.state == .succeeded && rollout.agents.count == agents.count
                        && rollout.agents.allSatisfy { $0.place == .succeeded }
                }
            }
        }
    }

    @Test func aFailureReportedToOneReplicaHaltsAdmissionOnTheOther() async throws {
        try await ReplicaTests().withReplicas { a, b in
            try await Self.setPolicy(#"{"max_parallel": 1}"#, on: a, seenBy: b)
            _ = try await a.poll("on-a", after: 0)
            _ = try await b.poll("on-b", after: 0)
            try await Self.release(on: a, seenBy: b)
            // Exactly one is admitted, whichever replica's start of the rollout was stored first.
            let shown = [
                (name: "on-a", server: a, count: try await a.poll("on-a", after: 0)),
                (name: "on-b", server: b, count: try await b.poll("on-b", after: 0)),
            ]
            #expect(shown.map(\.count).sorted() == [0, 1], "\(shown.map(\.count))")
            let first = try #require(shown.first { $0.count == 1 })
            let second = try #require(shown.first { $0.count == 0 })
            try await Self.report(first.server, agent: first.name, count: 1, status: "failed")
            try await eventually("the other replica sees the halt") {
                let rollout = try await Self.rollout(second.server)
                return rollout.state == .halted && rollout.haltedBy == first.name
            }
            #expect(try await second.server.poll(second.name, after: 0) == 0, "a halt admits nobody")
            #expect(try await second.server.poll(second.name, after: 0, wait: 1) == 0)
            // The operator resumes on the replica that did not see the failure; the other admits on it.
            let resumed = try await second.server.send(.POST, "/v1/triggers/app/rollout/resume", bearer: true)
            #expect(resumed.status == 200, "\(resumed.text)")
            let again = try await second.server.send(.POST, "/v1/triggers/app/rollout/resume", bearer: true)
            #expect(again.status == 409, "a second resume is refused: \(again.text)")
            try await eventually("the first replica sees the resume") {
                try await Self.rollout(first.server).state == .running
            }
            #expect(try await second.server.poll(second.name, after: 0) == 1)
        }
    }
}

/// How many simulated agents run a deploy now, and the most that ever did at once.
private final class RunningAgents: Sendable {
    let state = Mutex((now: 0, most: 0))
}
