import Foundation
import Testing

@testable import AgentCore

@Suite(.timeLimit(.minutes(1))) struct RolloutCommandTests {
    @Test func parsesTheTriggerAndAnOptionalAction() throws {
        let show = try #require(try AgentCommand.parseAsRoot(["rollout", "web"]) as? RolloutCommand)
        #expect(show.name == "web" && show.action == nil)
        for action in RolloutCommand.actions {
            let change = try #require(try AgentCommand.parseAsRoot(["rollout", "web", action]) as? RolloutCommand)
            #expect(change.action == action)
        }
    }

    @Test(arguments: [["rollout", "web", "restart"], ["rollout", ".."], ["rollout"]])
    func refusesWhatTheServerWouldNotTake(arguments: [String]) {
        #expect(throws: (any Error).self) { try AgentCommand.parseAsRoot(arguments) }
    }

    @Test func describesTheStateAndEachAgentsPlace() {
        let start = Date(timeIntervalSince1970: 0)
        let rollout = Rollout(
            trigger: "web", count: 7, state: .halted,
            policy: RolloutPolicy(maxParallel: .percent(20), canary: 1), haltedBy: "web-b",
            agents: [
                RolloutAgent(name: "web-a", place: .succeeded, canary: true),
                RolloutAgent(name: "web-b", place: .failed, canary: false),
                RolloutAgent(name: "web-long", place: .waiting, canary: false),
            ], startedAt: start, updatedAt: start)
        #expect(
            RolloutCommand.describe(rollout) == """
                web #7: halted (policy: max_parallel 20%, canary 1)
                halted by web-b's failed run
                  web-a     succeeded  (canary)
                  web-b     failed
                  web-long  waiting
                """)
    }
}
