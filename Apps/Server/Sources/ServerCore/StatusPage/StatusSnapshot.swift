import Foundation

/// Everything the status page at `GET /` shows, gathered at one moment: the view model that
/// ``StatusPage/render(_:)`` turns into HTML.
///
/// It holds plain values of its own (no store or registry types), so the renderer is a pure function that tests
/// call without a server, and the route that fills it decides what to include (for example the newest 20 runs).
/// Texts are shown as given: the renderer escapes every one of them.
public struct StatusSnapshot: Sendable, Equatable {
    /// One trigger: its count and when it last moved.
    public struct Trigger: Sendable, Equatable {
        /// The trigger's name.
        public var name: String
        /// Its current count.
        public var count: Int64
        /// When it was last incremented; `nil` if never.
        public var lastIncrement: Date?

        /// Creates a trigger row.
        public init(name: String, count: Int64, lastIncrement: Date?) {
            self.name = name
            self.count = count
            self.lastIncrement = lastIncrement
        }
    }

    /// Whether an agent is currently in touch with the server.
    public enum Liveness: String, Sendable, Equatable {
        /// Its long poll is open, or it was seen within twice its poll interval.
        case live
        /// Not seen for longer than that.
        case stale
    }

    /// The newest run an agent reported, as the agents table summarises it.
    public struct LastRun: Sendable, Equatable {
        /// The run's id; when the run is also among ``StatusSnapshot/runs`` the page links to it.
        public var id: String?
        /// `succeeded`, `failed` or `cancelled` (any other text is shown as it is).
        public var status: String
        /// How long it took, in seconds, if known.
        public var durationSeconds: Double?
        /// When it finished, if known.
        public var finishedAt: Date?

        /// Creates a last-run summary.
        public init(id: String? = nil, status: String, durationSeconds: Double? = nil, finishedAt: Date? = nil) {
            self.id = id
            self.status = status
            self.durationSeconds = durationSeconds
            self.finishedAt = finishedAt
        }
    }

    /// One agent the server knows of.
    public struct Agent: Sendable, Equatable {
        /// Its name.
        public var name: String
        /// Its host name, if it said.
        public var host: String?
        /// Live or stale.
        public var state: Liveness
        /// When the server last heard from it.
        public var lastSeen: Date
        /// The triggers it watches.
        public var triggers: [String]
        /// Its newest reported run, if any.
        public var lastRun: LastRun?

        /// Creates an agent row.
        public init(
            name: String, host: String?, state: Liveness, lastSeen: Date, triggers: [String], lastRun: LastRun?
        ) {
            self.name = name
            self.host = host
            self.state = state
            self.lastSeen = lastSeen
            self.triggers = triggers
            self.lastRun = lastRun
        }
    }

    /// One step of a reported run.
    public struct Step: Sendable, Equatable {
        /// Position in the script, from 0 (shown from 1).
        public var index: Int
        /// `shell`, `download`, `download_s3`, `unzip`.
        public var kind: String
        /// `succeeded`, `failed`, `cancelled` or `skipped`.
        public var status: String
        /// Wall time in seconds.
        public var durationSeconds: Double
        /// A shell step's exit code.
        public var exitCode: Int?
        /// Why it failed, if the agent said.
        public var message: String?

        /// Creates a step.
        public init(
            index: Int, kind: String, status: String, durationSeconds: Double, exitCode: Int? = nil,
            message: String? = nil
        ) {
            self.index = index
            self.kind = kind
            self.status = status
            self.durationSeconds = durationSeconds
            self.exitCode = exitCode
            self.message = message
        }
    }

    /// One reported run with its steps and the tail of its log.
    public struct Run: Sendable, Equatable {
        /// The run's id.
        public var id: String
        /// The agent that ran it.
        public var agent: String
        /// The trigger it ran for.
        public var trigger: String
        /// The trigger count it ran for.
        public var count: Int64
        /// `succeeded`, `failed` or `cancelled` (any other text is shown as it is).
        public var status: String
        /// When it started, if known.
        public var startedAt: Date?
        /// When it finished, if known.
        public var finishedAt: Date?
        /// Each step, in script order.
        public var steps: [Step]
        /// The last lines of its output, if any.
        public var logTail: String?

        /// Creates a run.
        public init(
            id: String, agent: String, trigger: String, count: Int64, status: String, startedAt: Date?,
            finishedAt: Date?, steps: [Step], logTail: String?
        ) {
            self.id = id
            self.agent = agent
            self.trigger = trigger
            self.count = count
            self.status = status
            self.startedAt = startedAt
            self.finishedAt = finishedAt
            self.steps = steps
            self.logTail = logTail
        }

        /// Whether the run failed.
        public var failed: Bool { status == "failed" }

        /// The first failing step, if any.
        public var failingStep: Step? { steps.first { $0.status == "failed" } }

        /// Seconds from start to finish, when both are known.
        public var durationSeconds: Double? {
            guard let startedAt, let finishedAt else { return nil }
            return max(0, finishedAt.timeIntervalSince(startedAt))
        }
    }

    /// Every trigger, in the order to show.
    public var triggers: [Trigger]
    /// Every agent, in the order to show.
    public var agents: [Agent]
    /// Recent runs, newest first.
    public var runs: [Run]
    /// The database's epoch.
    public var serverEpoch: String
    /// When the snapshot was taken: the page's "now" for relative ages.
    public var generatedAt: Date

    /// Creates a snapshot.
    public init(triggers: [Trigger], agents: [Agent], runs: [Run], serverEpoch: String, generatedAt: Date) {
        self.triggers = triggers
        self.agents = agents
        self.runs = runs
        self.serverEpoch = serverEpoch
        self.generatedAt = generatedAt
    }
}
