import Foundation
import ProstagmaProtocol
import Testing

@testable import ServerCore

@Suite(.timeLimit(.minutes(1))) struct RolloutMachineTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    func at(_ seconds: Double) -> Date { Self.t0.addingTimeInterval(seconds) }

    func start(
        _ policy: RolloutPolicy, agents: [String] = ["a", "b", "c", "d", "e", "f"], previous: RolloutMachine? = nil,
        count: Int64 = 5
    ) -> RolloutMachine {
        RolloutMachine(trigger: "app", count: count, policy: policy, agents: agents, previous: previous, now: at(0))
    }

    func places(_ machine: RolloutMachine) -> [String: RolloutPlace] {
        machine.agents.mapValues(\.place)
    }

    func admitted(_ machine: RolloutMachine) -> [String] {
        machine.agents.keys.filter { machine.agents[$0]!.place == .admitted }.sorted()
    }

    @Test func aQuietPollChangesOnlyWhenTheAgentWasSeenAndADeadlineEndsTheQuiet() {
        var machine = start(RolloutPolicy(maxParallel: .count(1)), agents: ["a", "b"])
        #expect(machine.isQuietPoll("b", handled: 4, now: at(10)), "a waiting agent saying what it was shown")
        let before = machine
        machine.polled("b", handled: 4, now: at(10))
        #expect(machine.sameProgress(as: before) && machine.agents["b"]!.lastSeen == at(10))
        #expect(!machine.isQuietPoll("c", handled: 4, now: at(10)), "a stranger joins")
        #expect(!machine.isQuietPoll("b", handled: 5, now: at(10)), "it says it has the release")
        // Past a's silence deadline the poll is no longer quiet: it makes a gone and admits b.
        let late = at(RolloutMachine.defaultSilenceDeadline + 1)
        #expect(!machine.isQuietPoll("b", handled: 4, now: late))
        machine.polled("b", handled: 4, now: late)
        #expect(places(machine) == ["a": .gone, "b": .admitted])
    }

    @Test func withoutACapEveryAgentIsAdmittedAtOnce() {
        let machine = start(RolloutPolicy())
        #expect(admitted(machine) == ["a", "b", "c", "d", "e", "f"])
        #expect(machine.state == .running)
        #expect(machine.shownCount(for: "a") == 5)
    }

    @Test func admissionFollowsNameOrderUnderTheCapAndAReportFreesASlot() {
        var machine = start(RolloutPolicy(maxParallel: .count(2)), agents: ["d", "b", "a", "c"])
        #expect(admitted(machine) == ["a", "b"])
        #expect(machine.shownCount(for: "c") == 4, "a waiting agent keeps seeing the count before")
        machine.reported("b", count: 5, succeeded: true, now: at(1))
        #expect(admitted(machine) == ["a", "c"])
        #expect(machine.shownCount(for: "c") == 5)
        machine.reported("a", count: 5, succeeded: true, now: at(2))
        machine.reported("c", count: 5, succeeded: true, now: at(3))
        #expect(admitted(machine) == ["d"])
        machine.reported("d", count: 5, succeeded: true, now: at(4))
        #expect(machine.state == .succeeded && machine.finishedAt == at(4))
    }

    @Test func canariesGoFirstByNameThenTheRolloutPausesUntilPromoted() throws {
        var machine = start(RolloutPolicy(maxParallel: .count(3), canary: 2))
        #expect(admitted(machine) == ["a", "b"])
        #expect(machine.agents["a"]!.canary && machine.agents["b"]!.canary && !machine.agents["c"]!.canary)
        machine.reported("a", count: 5, succeeded: true, now: at(1))
        #expect(admitted(machine) == ["b"], "only canaries are admitted in the canary phase")
        machine.reported("b", count: 5, succeeded: true, now: at(2))
        #expect(machine.state == .paused && admitted(machine).isEmpty)
        machine.tick(now: at(100))
        #expect(machine.state == .paused, "without a soak the pause waits for a promote")
        try machine.promote(now: at(101))
        #expect(machine.state == .running && admitted(machine) == ["c", "d", "e"])
        #expect(throws: RolloutMachine.Refusal.self) { try machine.promote(now: at(102)) }
    }

    @Test func theCanarySoakPromotesByItself() {
        var machine = start(RolloutPolicy(canary: 1, canarySoakSeconds: 30), agents: ["x", "y"])
        #expect(admitted(machine) == ["x"])
        machine.reported("x", count: 5, succeeded: true, now: at(10))
        #expect(machine.state == .paused && machine.nextDeadline == at(40))
        machine.tick(now: at(39))
        #expect(machine.state == .paused)
        machine.tick(now: at(40))
        #expect(machine.state == .running && admitted(machine) == ["y"])
    }

    @Test func aFailureHaltsNamesTheAgentAndAdmitsNobodyElse() throws {
        var machine = start(RolloutPolicy(maxParallel: .count(2)))
        machine.reported("b", count: 5, succeeded: false, now: at(1))
        #expect(machine.state == .halted && machine.haltedBy == "b")
        #expect(admitted(machine) == ["a"])
        machine.reported("a", count: 5, succeeded: true, now: at(2))
        machine.polled("g", handled: 4, now: at(3))
        #expect(admitted(machine).isEmpty, "a halt really halts: no slot is refilled, no late agent admitted")
        #expect(machine.snapshot.neverRan == ["c", "d", "e", "f", "g"])
        try machine.resume(now: at(4))
        #expect(machine.state == .running && machine.haltedBy == nil && admitted(machine) == ["c", "d"])
    }

    @Test func aCancelledOrFailedCanaryHaltsAndResumeEndsTheCanaryPhase() throws {
        var machine = start(RolloutPolicy(canary: 1), agents: ["a", "b"])
        machine.reported("a", count: 5, succeeded: false, now: at(1))
        #expect(machine.state == .halted && admitted(machine).isEmpty)
        try machine.resume(now: at(2))
        #expect(machine.state == .running && admitted(machine) == ["b"])
    }

    @Test func withoutHaltOnFailureAFailureFreesItsSlotAndTheEndIsNotASuccess() {
        var machine = start(RolloutPolicy(maxParallel: .count(1), haltOnFailure: false), agents: ["a", "b"])
        machine.reported("a", count: 5, succeeded: false, now: at(1))
        #expect(machine.state == .running && admitted(machine) == ["b"])
        machine.reported("b", count: 5, succeeded: true, now: at(2))
        #expect(machine.state == .halted && machine.haltedBy == "a")
    }

    @Test func pauseResumeAndAbortFollowTheirRules() throws {
        var machine = start(RolloutPolicy(maxParallel: .count(1)), agents: ["a", "b", "c"])
        try machine.pause(now: at(1))
        #expect(throws: RolloutMachine.Refusal.self) { try machine.pause(now: at(1)) }
        machine.reported("a", count: 5, succeeded: true, now: at(2))
        #expect(admitted(machine).isEmpty && machine.state == .paused)
        try machine.resume(now: at(3))
        #expect(admitted(machine) == ["b"])
        try machine.abort(now: at(4))
        #expect(machine.state == .aborted && machine.finishedAt == at(4))
        machine.reported("b", count: 5, succeeded: true, now: at(5))
        #expect(machine.state == .aborted && admitted(machine).isEmpty)
        #expect(machine.shownCount(for: "c") == 4)
        do {
            try machine.resume(now: at(6))
            Issue.record("resumed an aborted rollout")
        } catch {
            #expect(error.description.contains("it is aborted"), "\(error)")
        }
    }

    @Test func aSilentAdmittedAgentIsGoneAfterTheDeadlineAndFreesItsSlot() {
        var machine = start(RolloutPolicy(maxParallel: .count(1)), agents: ["a", "b"])
        machine.polled("b", handled: 4, now: at(100))
        #expect(machine.nextDeadline == at(RolloutMachine.defaultSilenceDeadline))
        machine.tick(now: at(RolloutMachine.defaultSilenceDeadline))
        #expect(machine.agents["a"]!.place == .admitted, "the deadline itself is not past it")
        machine.tick(now: at(RolloutMachine.defaultSilenceDeadline + 1))
        #expect(places(machine) == ["a": .gone, "b": .admitted])
        machine.reported("b", count: 5, succeeded: true, now: at(130))
        #expect(machine.state == .succeeded, "gone is neither waiting nor running")
        #expect(machine.agents["a"]!.place != .succeeded)
        machine.polled("a", handled: 4, now: at(140))
        #expect(machine.agents["a"]!.place == .admitted, "back, it holds the release it was admitted to")
        #expect(machine.state == .running && machine.finishedAt == nil)
    }

    @Test func aGoneAgentThatWasNeverAdmittedComesBackWaiting() {
        var machine = start(RolloutPolicy(maxParallel: .count(1)), agents: ["a", "b"])
        machine.polled("a", handled: 4, now: at(200))
        machine.tick(now: at(200))
        #expect(places(machine) == ["a": .admitted, "b": .gone])
        machine.polled("b", handled: 4, now: at(201))
        #expect(places(machine) == ["a": .admitted, "b": .waiting])
        #expect(machine.shownCount(for: "b") == 4)
    }

    @Test func lateAgentsAreAdmittedUnderTheSamePolicyAfterTheEnd() {
        var machine = start(RolloutPolicy(maxParallel: .count(1)), agents: ["a"])
        machine.reported("a", count: 5, succeeded: true, now: at(1))
        #expect(machine.state == .succeeded)
        machine.polled("m", handled: nil, now: at(2))
        machine.polled("n", handled: nil, now: at(2))
        #expect(places(machine) == ["a": .succeeded, "m": .admitted, "n": .waiting])
        #expect(machine.state == .running && !machine.agents["m"]!.canary)
        machine.reported("m", count: 5, succeeded: true, now: at(3))
        machine.reported("n", count: 5, succeeded: true, now: at(4))
        #expect(machine.state == .succeeded)
    }

    @Test func anAgentHoldingTheReleaseAlreadyIsCountedAsAdmittedNotAdmittedAgain() {
        var machine = start(RolloutPolicy(maxParallel: .count(1)), agents: ["a", "b"])
        machine.polled("b", handled: 5, now: at(1))
        #expect(places(machine) == ["a": .admitted, "b": .admitted])
        machine.reported("a", count: 5, succeeded: true, now: at(2))
        #expect(admitted(machine) == ["b"])
    }

    @Test func reportsOfAnotherCountDoNotMoveTheRollout() {
        var machine = start(RolloutPolicy(maxParallel: .count(1)), agents: ["a", "b"])
        machine.reported("a", count: 4, succeeded: false, now: at(1))
        #expect(machine.state == .running && places(machine) == ["a": .admitted, "b": .waiting])
    }

    @Test func percentagesResolveAgainstAgentsNotGoneRoundedUp() {
        var machine = start(RolloutPolicy(maxParallel: .percent(20)), agents: (0..<11).map { "n\($0)" })
        #expect(machine.resolvedCap == 3 && admitted(machine).count == 3)
        let small = start(RolloutPolicy(maxParallel: .percent(20)), agents: ["a"])
        #expect(small.resolvedCap == 1)
        for name in ["n3", "n4", "n5", "n6", "n7", "n8", "n9", "n10"] {
            machine.polled(name, handled: 4, now: at(100))
        }
        machine.tick(now: at(RolloutMachine.defaultSilenceDeadline + 1))
        #expect(machine.resolvedCap == 2, "3 of 11 went gone: 20% of 8 rounds up to 2")
    }

    @Test func aNewIncrementSupersedesAndNobodySeesACountGoBack() {
        var first = start(RolloutPolicy(maxParallel: .count(1)), agents: ["a", "b"])
        first.reported("a", count: 5, succeeded: true, now: at(1))
        #expect(first.shownCount(for: "a") == 5 && first.shownCount(for: "b") == 5)
        var second = start(RolloutPolicy(maxParallel: .count(1)), agents: ["a", "b", "c"], previous: first, count: 6)
        // b was admitted to #5 (shown 5), c is new and first's base was #4.
        #expect(second.shownCount(for: "b") == 5 && second.shownCount(for: "c") == 4)
        #expect(admitted(second) == ["a"] && second.shownCount(for: "a") == 6)
        second.reported("a", count: 6, succeeded: true, now: at(2))
        #expect(admitted(second) == ["b"])
        let third = start(RolloutPolicy(), agents: ["a"], previous: second, count: 7)
        #expect(third.shownCount(for: "c") == 4 && third.shownCount(for: "b") == 6)
    }

    @Test func aSucceededRolloutBecomesTheBaseOfTheNext() {
        var first = start(RolloutPolicy(), agents: ["a"])
        first.reported("a", count: 5, succeeded: true, now: at(1))
        let second = start(RolloutPolicy(maxParallel: .count(1)), agents: ["a", "b"], previous: first, count: 6)
        #expect(second.shownCount(for: "stranger") == 5)
    }

    @Test func theMachineRoundTripsThroughJSONAsItIsPersisted() throws {
        var machine = start(RolloutPolicy(maxParallel: .percent(50), canary: 1, canarySoakSeconds: 5))
        machine.reported("a", count: 5, succeeded: true, now: at(1))
        let data = try JSONEncoder().encode(machine)
        #expect(try JSONDecoder().decode(RolloutMachine.self, from: data) == machine)
    }

    /// Random walks through every event: the cap holds at every step and a halt never admits anyone.
    @Test(arguments: 0..<40) func theCapAndTheHaltHoldForAnyOrderOfEvents(seed: Int) throws {
        var random = SplitMix(seed: UInt64(seed))
        let caps: [RolloutPolicy.MaxParallel?] = [nil, .count(1), .count(2), .count(3), .percent(34)]
        let policy = RolloutPolicy(
            maxParallel: caps[Int(random.next() % 5)], canary: Int(random.next() % 3),
            haltOnFailure: random.next() % 4 != 0)
        let names = (0..<Int(3 + random.next() % 6)).map { "agent-\($0)" }
        var machine = start(policy, agents: names)
        var clock = 0.0
        for _ in 0..<60 {
            clock += 1
            let before = machine
            let name = names[Int(random.next() % UInt64(names.count))]
            switch random.next() % 8 {
            case 0, 1, 2:
                if machine.agents[name]?.place == .admitted {
                    machine.reported(name, count: 5, succeeded: random.next() % 5 != 0, now: at(clock))
                }
            case 3: machine.polled(name, handled: 4, now: at(clock))
            case 4: machine.polled("late-\(random.next() % 3)", handled: nil, now: at(clock))
            case 5: try? machine.pause(now: at(clock))
            case 6: try? machine.resume(now: at(clock))
            default: try? machine.promote(now: at(clock))
            }
            if let cap = machine.resolvedCap { #expect(machine.admittedCount <= cap, "seed \(seed)") }
            if before.state == .halted && machine.state == .halted || machine.state == .aborted {
                let newly = machine.agents.keys.filter {
                    machine.agents[$0]!.place == .admitted && before.agents[$0]?.place != .admitted
                }
                #expect(newly.isEmpty, "seed \(seed): admitted \(newly) while halted")
            }
            if machine.canaryPhase {
                #expect(machine.agents.values.allSatisfy { $0.canary || $0.admittedAt == nil }, "seed \(seed)")
            }
        }
    }
}

/// A small deterministic generator, so a failing seed can be replayed.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
