import Foundation
import ProstagmaProtocol
import Testing

@Suite(.timeLimit(.minutes(1))) struct RolloutTests {
    func policy(_ json: String) throws -> RolloutPolicy {
        try JSONDecoder().decode(RolloutPolicy.self, from: Data(json.utf8))
    }

    @Test func anEmptyPolicyHasTheDocumentedDefaults() throws {
        let empty = try policy("{}")
        #expect(empty == RolloutPolicy())
        #expect(empty.maxParallel == nil && empty.canary == 0 && empty.canarySoakSeconds == nil)
        #expect(empty.haltOnFailure && !empty.autoRollback)
    }

    @Test func maxParallelIsACountOrAPercentageAndRoundTrips() throws {
        let counted = try policy(#"{"max_parallel": 2, "canary": 1, "canary_soak": 30, "auto_rollback": true}"#)
        #expect(counted.maxParallel == .count(2) && counted.canary == 1 && counted.canarySoakSeconds == 30)
        #expect(counted.autoRollback)
        let percent = try policy(#"{"max_parallel": "20%", "halt_on_failure": false}"#)
        #expect(percent.maxParallel == .percent(20) && !percent.haltOnFailure)
        for value in [counted, percent] {
            #expect(try JSONDecoder().decode(RolloutPolicy.self, from: try JSONEncoder().encode(value)) == value)
        }
        let text = String(decoding: try JSONEncoder().encode(percent), as: UTF8.self)
        #expect(text.contains(#""max_parallel":"20%""#), "\(text)")
        #expect(text.contains(#""canary_soak":null"#), "\(text)")
    }

    @Test(arguments: [#""20""#, #""x%""#, #""%""#, "true", "1.5", #""100000%""#])
    func aMaxParallelOfAnotherShapeFailsAtItsKey(value: String) throws {
        do {
            _ = try policy(#"{"max_parallel": \#(value)}"#)
            Issue.record("decoded \(value)")
        } catch DecodingError.dataCorrupted(let context) {
            #expect(context.codingPath.map(\.stringValue) == ["max_parallel"])
        }
    }

    @Test(arguments: [
        (RolloutPolicy(maxParallel: .count(0)), "max_parallel"),
        (RolloutPolicy(maxParallel: .percent(0)), "max_parallel"),
        (RolloutPolicy(maxParallel: .percent(101)), "max_parallel"),
        (RolloutPolicy(canary: -1), "canary"),
        (RolloutPolicy(canary: 10_001), "canary"),
        (RolloutPolicy(canary: 1, canarySoakSeconds: -1), "canary_soak"),
        (RolloutPolicy(canary: 1, canarySoakSeconds: .infinity), "canary_soak"),
        (RolloutPolicy(canarySoakSeconds: 10), "canary_soak"),
    ])
    func validationNamesTheField(policy: RolloutPolicy, field: String) {
        #expect(throws: ProtocolError.self) { try policy.validated() }
        do {
            _ = try policy.validated()
        } catch {
            #expect(error.kind == .invalidField)
            #expect(error.message.hasPrefix(field + ":"), "\(error.message)")
        }
    }

    @Test func aSensiblePolicyPassesValidation() throws {
        let good = RolloutPolicy(maxParallel: .percent(100), canary: 2, canarySoakSeconds: 0)
        #expect(try good.validated() == good)
    }

    @Test(arguments: [
        (RolloutPolicy.MaxParallel.count(2), 10, 2),
        (.count(5), 0, 5),
        (.percent(20), 10, 2),
        (.percent(20), 11, 3),
        (.percent(20), 1, 1),
        (.percent(1), 0, 1),
        (.percent(100), 7, 7),
        (.percent(50), 200, 100),
    ])
    func percentagesRoundUpAndAllowAtLeastOne(cap: RolloutPolicy.MaxParallel, agents: Int, expected: Int) {
        #expect(cap.resolved(agents: agents) == expected)
    }

    @Test func aRolloutRoundTripsInSnakeCaseAndListsWhoNeverRan() throws {
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let rollout = Rollout(
            trigger: "web", count: 9, state: .halted, policy: RolloutPolicy(maxParallel: .count(1)),
            haltedBy: "b",
            agents: [
                RolloutAgent(name: "a", place: .succeeded, canary: true, admittedAt: start, finishedAt: start),
                RolloutAgent(name: "b", place: .failed, admittedAt: start, finishedAt: start),
                RolloutAgent(name: "c", place: .waiting),
                RolloutAgent(name: "d", place: .gone, finishedAt: start),
            ], startedAt: start, updatedAt: start)
        let data = try JSONEncoder().encode(rollout)
        #expect(try JSONDecoder().decode(Rollout.self, from: data) == rollout)
        let text = String(decoding: data, as: UTF8.self)
        for key in [#""halted_by":"b""#, #""admitted_at":null"#, #""finished_at":null"#, #""state":"halted""#] {
            #expect(text.contains(key), "\(key) in \(text)")
        }
        #expect(rollout.neverRan == ["c", "d"])
    }

    @Test func statesAndPlacesHaveTheirWireNames() {
        #expect(RolloutState.allCases.map(\.rawValue) == ["running", "paused", "halted", "succeeded", "aborted"])
        #expect(RolloutPlace.allCases.map(\.rawValue) == ["waiting", "admitted", "succeeded", "failed", "gone"])
    }
}
