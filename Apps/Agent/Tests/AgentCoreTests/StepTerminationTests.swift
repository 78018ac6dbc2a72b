import Testing

@testable import AgentCore

/// The step termination rules, driven by events alone: no clock, no process.
@Suite(.timeLimit(.minutes(1))) struct StepTerminationTests {
    typealias Machine = StepTermination

    @Test func aStepWithoutTimeoutStartsNoTimerAndEndsWithItsLeaderLeavingItsGroupAlone() {
        var machine = Machine(timeout: nil, grace: .seconds(10))
        #expect(machine.handle(.started) == [])
        #expect(!machine.isFinished)
        #expect(machine.handle(.leaderExited) == [.finish(nil)])
        #expect(machine.isFinished)
    }

    @Test func aTimeoutSendsTermThenKillAfterTheKillDelay() {
        var machine = Machine(timeout: .seconds(2), grace: .seconds(10), killDelay: .seconds(3))
        #expect(machine.handle(.started) == [.startTimer(.timeout, .seconds(2))])
        #expect(machine.handle(.timeoutElapsed) == [.terminateGroup, .startTimer(.killDelay, .seconds(3))])
        #expect(machine.handle(.killDelayElapsed) == [.killGroup])
        #expect(machine.handle(.leaderExited) == [.killGroup, .finish(.timedOut)])
    }

    @Test func aLeaderThatDiesOfTermEndsTheStepAtOnceAndItsGroupIsKilled() {
        var machine = Machine(timeout: .seconds(2), grace: .seconds(10), killDelay: .seconds(3))
        _ = machine.handle(.started)
        _ = machine.handle(.timeoutElapsed)
        // A grandchild that ignores SIGTERM must not outlive the leader until the kill delay.
        #expect(machine.handle(.leaderExited) == [.killGroup, .finish(.timedOut)])
        #expect(machine.handle(.killDelayElapsed) == [])
    }

    @Test func shutdownGivesTheGraceBeforeTerminating() {
        var machine = Machine(timeout: nil, grace: .seconds(10), killDelay: .seconds(3))
        _ = machine.handle(.started)
        #expect(machine.handle(.shutdownRequested) == [.startTimer(.grace, .seconds(10))])
        #expect(machine.handle(.graceElapsed) == [.terminateGroup, .startTimer(.killDelay, .seconds(3))])
        #expect(machine.handle(.shutdownRequested) == [])
        #expect(machine.handle(.killDelayElapsed) == [.killGroup])
        #expect(machine.handle(.leaderExited) == [.killGroup, .finish(.cancelled)])
    }

    @Test func aStepThatEndsWithinTheGraceIsNotCancelled() {
        var machine = Machine(timeout: nil, grace: .seconds(10))
        _ = machine.handle(.started)
        _ = machine.handle(.shutdownRequested)
        #expect(machine.handle(.leaderExited) == [.finish(nil)])
        #expect(machine.handle(.graceElapsed) == [])
    }

    @Test func aZeroGraceTerminatesAtOnce() {
        var machine = Machine(timeout: nil, grace: .zero, killDelay: .seconds(1))
        _ = machine.handle(.started)
        #expect(machine.handle(.shutdownRequested) == [.terminateGroup, .startTimer(.killDelay, .seconds(1))])
    }

    @Test func aTimeoutWithinTheGraceCountsAsATimeout() {
        var machine = Machine(timeout: .seconds(5), grace: .seconds(10), killDelay: .seconds(3))
        _ = machine.handle(.started)
        _ = machine.handle(.shutdownRequested)
        #expect(machine.handle(.timeoutElapsed) == [.terminateGroup, .startTimer(.killDelay, .seconds(3))])
        #expect(machine.handle(.graceElapsed) == [])
        #expect(machine.handle(.leaderExited) == [.killGroup, .finish(.timedOut)])
    }

    @Test func aCancelledTaskKillsTheGroupAtOnce() {
        var machine = Machine(timeout: .seconds(5), grace: .seconds(10))
        _ = machine.handle(.started)
        #expect(machine.handle(.taskCancelled) == [.killGroup])
        #expect(machine.handle(.timeoutElapsed) == [])
        #expect(machine.handle(.leaderExited) == [.killGroup, .finish(.cancelled)])
    }

    @Test(arguments: [
        Machine.Event.timeoutElapsed, .shutdownRequested, .graceElapsed, .killDelayElapsed, .taskCancelled,
    ])
    func eventsBeforeTheStartAreIgnored(_ event: Machine.Event) {
        var machine = Machine(timeout: .seconds(1), grace: .seconds(1))
        #expect(machine.handle(event) == [])
        #expect(machine.handle(.started) == [.startTimer(.timeout, .seconds(1))])
    }

    @Test(arguments: [
        Machine.Event.started, .timeoutElapsed, .shutdownRequested, .graceElapsed, .killDelayElapsed,
        .taskCancelled, .leaderExited,
    ])
    func nothingHappensAfterTheStepIsOver(_ event: Machine.Event) {
        var machine = Machine(timeout: .seconds(1), grace: .seconds(1))
        _ = machine.handle(.started)
        _ = machine.handle(.leaderExited)
        #expect(machine.handle(event) == [])
    }

    /// Issue 19 item 1: `trap "" TERM; sleep 20` with `timeout: 2s` took 23.3 s. On a simulated clock, a
    /// group that ignores SIGTERM is killed at timeout + kill delay and the step ends then.
    @Test func aGroupThatIgnoresTermIsKilledAtTimeoutPlusKillDelay() {
        var simulation = Simulation(
            machine: Machine(timeout: .seconds(2), grace: .seconds(10), killDelay: .seconds(3)),
            leaderDiesOn: [.killGroup], naturalEnd: .seconds(20))
        let end = simulation.run()
        #expect(end.time == .seconds(5))
        #expect(end.stop == .timedOut)
        #expect(simulation.terms == [.seconds(2)])
        #expect(simulation.kills.first == .seconds(5))
    }

    @Test func aGroupThatHonoursTermEndsAtTheTimeout() {
        var simulation = Simulation(
            machine: Machine(timeout: .seconds(2), grace: .seconds(10), killDelay: .seconds(3)),
            leaderDiesOn: [.terminateGroup, .killGroup], naturalEnd: .seconds(20))
        let end = simulation.run()
        #expect(end.time == .seconds(2))
        #expect(end.stop == .timedOut)
    }

    @Test func shutdownOfAStepThatIgnoresTermEndsAtGracePlusKillDelay() {
        var simulation = Simulation(
            machine: Machine(timeout: nil, grace: .seconds(10), killDelay: .seconds(3)),
            leaderDiesOn: [.killGroup], naturalEnd: .seconds(60), shutdownAt: .seconds(1))
        let end = simulation.run()
        #expect(end.time == .seconds(14))
        #expect(end.stop == .cancelled)
    }
}

/// A virtual clock and a leader process that ends at `naturalEnd` or when it receives a signal it does not
/// ignore; drives the machine exactly as `StepProcess` does.
private struct Simulation {
    var machine: StepTermination
    var leaderDiesOn: [StepTermination.Action]
    var naturalEnd: Duration
    var shutdownAt: Duration?
    var terms: [Duration] = []
    var kills: [Duration] = []

    init(
        machine: StepTermination, leaderDiesOn: [StepTermination.Action], naturalEnd: Duration,
        shutdownAt: Duration? = nil
    ) {
        self.machine = machine
        self.leaderDiesOn = leaderDiesOn
        self.naturalEnd = naturalEnd
        self.shutdownAt = shutdownAt
    }

    mutating func run() -> (time: Duration, stop: StepTermination.Stop?) {
        var now = Duration.zero
        var queue: [(at: Duration, event: StepTermination.Event)] = [(naturalEnd, .leaderExited)]
        if let shutdownAt { queue.append((shutdownAt, .shutdownRequested)) }
        var actions = machine.handle(.started)
        while true {
            for action in actions {
                switch action {
                case .startTimer(let timer, let delay):
                    let event: StepTermination.Event =
                        switch timer {
                        case .timeout: .timeoutElapsed
                        case .grace: .graceElapsed
                        case .killDelay: .killDelayElapsed
                        }
                    queue.append((now + delay, event))
                case .signalGroup(let terminate):
                    if terminate { terms.append(now) } else { kills.append(now) }
                    if leaderDiesOn.contains(action) { queue.append((now, .leaderExited)) }
                case .finish(let stop):
                    return (now, stop)
                }
            }
            // Earliest first; at equal times, in the order they were queued.
            let next = queue.indices.min { queue[$0].at < queue[$1].at || (queue[$0].at == queue[$1].at && $0 < $1) }!
            let (at, event) = queue.remove(at: next)
            now = at
            actions = machine.handle(event)
        }
    }
}
