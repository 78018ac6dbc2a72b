/// Decides when a step's process group is signalled and how the step ends. Pure: it never reads a clock or
/// touches a process. The driver (`StepProcess`) feeds it events (its timers firing, the graceful shutdown, the
/// leader's exit) and carries out the actions it returns, so every path is tested without processes.
///
/// The rules:
/// - `timeout` passes: SIGTERM to the group, SIGKILL `killDelay` later; the step is `timedOut`.
/// - The agent is asked to stop: the step gets `grace` to finish, then SIGTERM and SIGKILL `killDelay` later;
///   the step is `cancelled`. A timeout that passes within the grace still ends it as `timedOut`.
/// - The calling task is cancelled: SIGKILL at once (nothing is left to wait for the step); `cancelled`.
/// - The leader exits after the step was stopped (timeout, shutdown, cancellation): SIGKILL to the group, so no
///   trapped grandchild outlives a step that was stopped. The driver sends that SIGKILL before it reaps the
///   leader, so the pgid cannot have been reused.
/// - The leader exits by itself (the script finished, well or not): the step ends and its group is left alone.
///   A deploy script that starts a service in the background (`nohup app &`) means it to keep running, as it
///   did with the original tool; it holds no descriptor of the agent's (steps start with 0, 1 and 2 only).
struct StepTermination: Sendable, Equatable {
    /// What happened.
    enum Event: Sendable, Equatable {
        /// The leader was spawned (in a process group of its own).
        case started
        /// The step's `timeout` passed.
        case timeoutElapsed
        /// The agent is stopping (SIGTERM/SIGINT).
        case shutdownRequested
        /// The task running the step was cancelled.
        case taskCancelled
        /// The grace period after `shutdownRequested` passed.
        case graceElapsed
        /// `killDelay` after SIGTERM passed.
        case killDelayElapsed
        /// The group's leader (the step's shell) exited.
        case leaderExited
    }

    /// A timer the driver starts; when it fires, the driver feeds the matching event.
    enum Timer: Sendable, Equatable {
        /// Fires `timeoutElapsed`.
        case timeout
        /// Fires `graceElapsed`.
        case grace
        /// Fires `killDelayElapsed`.
        case killDelay
    }

    /// Why a step that was stopped ended.
    enum Stop: Sendable, Equatable {
        case timedOut
        case cancelled
    }

    /// What the driver must do, in order.
    enum Action: Sendable, Equatable {
        case startTimer(Timer, Duration)
        case signalGroup(terminate: Bool)
        /// The step is over: `nil` when it ended by itself, otherwise why it was stopped.
        case finish(Stop?)

        static let terminateGroup = Action.signalGroup(terminate: true)
        static let killGroup = Action.signalGroup(terminate: false)
    }

    private enum State: Sendable, Equatable {
        case notStarted
        case running
        /// Shutdown was requested; the step may still finish within the grace period.
        case draining
        /// SIGTERM was sent; SIGKILL follows when the kill delay passes.
        case terminating(Stop)
        /// SIGKILL was sent; only the leader's exit is awaited.
        case killed(Stop)
        case finished
    }

    /// The step's `timeout`, if it has one.
    let timeout: Duration?
    /// How long a running step may go on after the agent is asked to stop.
    let grace: Duration
    /// How long the group has between SIGTERM and SIGKILL.
    let killDelay: Duration
    private var state = State.notStarted

    /// The documented delay between SIGTERM and SIGKILL (docs/agent.md).
    static let defaultKillDelay: Duration = .seconds(3)

    init(timeout: Duration?, grace: Duration, killDelay: Duration = StepTermination.defaultKillDelay) {
        self.timeout = timeout
        self.grace = grace
        self.killDelay = killDelay
    }

    /// Whether the step is over (`finish` was returned).
    var isFinished: Bool { state == .finished }

    /// Feeds one event; returns what to do. Events that no longer matter (a timer firing after the state it
    /// was started for) return nothing.
    mutating func handle(_ event: Event) -> [Action] {
        switch (state, event) {
        case (.finished, _):
            return []
        case (.terminating(let stop), .leaderExited), (.killed(let stop), .leaderExited):
            state = .finished
            return [.killGroup, .finish(stop)]
        case (_, .leaderExited):
            state = .finished
            return [.finish(nil)]
        case (.notStarted, .started):
            state = .running
            return timeout.map { [.startTimer(.timeout, $0)] } ?? []
        case (.notStarted, _):
            return []
        case (.running, .timeoutElapsed), (.draining, .timeoutElapsed):
            return terminate(.timedOut)
        case (.running, .shutdownRequested):
            if grace <= .zero { return terminate(.cancelled) }
            state = .draining
            return [.startTimer(.grace, grace)]
        case (.draining, .graceElapsed):
            return terminate(.cancelled)
        case (.terminating(let stop), .killDelayElapsed):
            state = .killed(stop)
            return [.killGroup]
        case (.running, .taskCancelled), (.draining, .taskCancelled):
            state = .killed(.cancelled)
            return [.killGroup]
        case (.terminating(let stop), .taskCancelled):
            state = .killed(stop)
            return [.killGroup]
        default:
            return []
        }
    }

    private mutating func terminate(_ stop: Stop) -> [Action] {
        state = .terminating(stop)
        return [.terminateGroup, .startTimer(.killDelay, killDelay)]
    }
}
