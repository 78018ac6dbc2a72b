#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One agent's report of one run: what the agent posts to `POST /v1/runs`, what the server stores and lists
/// (`GET /v1/runs`, deploy waits, the status page), and what `prostagma-agent run --once` prints.
///
/// openapi.yaml's `Run` schema. Every field is encoded, absent ones as `null`; on decoding only `agent`,
/// `trigger`, `count` and `status` are required, as the schema says.
public struct RunReport: Codable, Sendable, Equatable {
    /// One step's result (openapi.yaml's `Step`).
    public struct Step: Codable, Sendable, Equatable {
        /// The step's position in the script, from 0.
        public var index: Int
        /// `shell`, `download`, `download_s3` or `unzip`.
        public var kind: String
        /// How the step ended: one of ``RunStatus/stepStatuses``.
        public var status: RunStatus
        /// Wall time in seconds.
        public var durationSeconds: Double
        /// A shell step's exit status.
        public var exitCode: Int32?
        /// Why it failed, when it did.
        public var message: String?

        /// Makes a step result.
        public init(
            index: Int, kind: String, status: RunStatus, durationSeconds: Double, exitCode: Int32? = nil,
            message: String? = nil
        ) {
            self.index = index
            self.kind = kind
            self.status = status
            self.durationSeconds = durationSeconds
            self.exitCode = exitCode
            self.message = message
        }

        enum CodingKeys: String, CodingKey {
            case index, kind, status, message
            case durationSeconds = "duration_seconds"
            case exitCode = "exit_code"
        }

        /// Decodes a step; `exit_code` and `message` may be absent or null.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            index = try c.decode(Int.self, forKey: .index)
            kind = try c.decode(String.self, forKey: .kind)
            status = try c.decode(RunStatus.self, forKey: .status)
            durationSeconds = try c.decode(Double.self, forKey: .durationSeconds)
            exitCode = try c.decodeIfPresent(Int32.self, forKey: .exitCode)
            message = try c.decodeIfPresent(String.self, forKey: .message)
        }

        /// Encodes every field, absent ones as `null`.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encode(kind, forKey: .kind)
            try c.encode(status, forKey: .status)
            try c.encode(durationSeconds, forKey: .durationSeconds)
            try c.encode(exitCode, forKey: .exitCode)
            try c.encode(message, forKey: .message)
        }
    }

    /// The run's id, a UUID the agent makes (also given to steps as `PROSTAGMA_RUN_ID`); the server makes one when
    /// a report has none.
    public var id: String?
    /// The agent's name.
    public var agent: String
    /// The agent's host name.
    public var host: String?
    /// The trigger the run was for.
    public var trigger: String
    /// The trigger count the run deployed.
    public var count: Int64
    /// The server's epoch when the count was seen (`nil` from an original server).
    public var epoch: String?
    /// How the run ended: one of ``RunStatus/runStatuses``.
    public var status: RunStatus
    /// When it started, in the wire's ``Timestamp`` format.
    public var startedAt: String?
    /// When it finished, in the wire's ``Timestamp`` format.
    public var finishedAt: String?
    /// Each step's result, in script order.
    public var steps: [Step]
    /// The end of the run's output, at most ``maximumLogTailBytes``.
    public var logTail: String?

    /// The most bytes of log tail a report carries (the newest ones).
    public static let maximumLogTailBytes = 64 * 1024
    /// The most steps a report may list.
    public static let maximumSteps = 10_000

    /// Makes a report.
    public init(
        id: String? = nil, agent: String, host: String? = nil, trigger: String, count: Int64, epoch: String? = nil,
        status: RunStatus, startedAt: String? = nil, finishedAt: String? = nil, steps: [Step] = [],
        logTail: String? = nil
    ) {
        self.id = id
        self.agent = agent
        self.host = host
        self.trigger = trigger
        self.count = count
        self.epoch = epoch
        self.status = status
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.steps = steps
        self.logTail = logTail
    }

    enum CodingKeys: String, CodingKey {
        case id, agent, host, trigger, count, epoch, status, steps
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case logTail = "log_tail"
    }

    /// Decodes a report; only `agent`, `trigger`, `count` and `status` are required.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(String.self, forKey: .id)
        agent = try c.decode(String.self, forKey: .agent)
        host = try c.decodeIfPresent(String.self, forKey: .host)
        trigger = try c.decode(String.self, forKey: .trigger)
        count = try c.decode(Int64.self, forKey: .count)
        epoch = try c.decodeIfPresent(String.self, forKey: .epoch)
        status = try c.decode(RunStatus.self, forKey: .status)
        startedAt = try c.decodeIfPresent(String.self, forKey: .startedAt)
        finishedAt = try c.decodeIfPresent(String.self, forKey: .finishedAt)
        steps = try c.decodeIfPresent([Step].self, forKey: .steps) ?? []
        logTail = try c.decodeIfPresent(String.self, forKey: .logTail)
    }

    /// Encodes every field, absent ones as `null`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(agent, forKey: .agent)
        try c.encode(host, forKey: .host)
        try c.encode(trigger, forKey: .trigger)
        try c.encode(count, forKey: .count)
        try c.encode(epoch, forKey: .epoch)
        try c.encode(status, forKey: .status)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(finishedAt, forKey: .finishedAt)
        try c.encode(steps, forKey: .steps)
        try c.encode(logTail, forKey: .logTail)
    }

    /// The first failed step, if any.
    public var failedStep: Step? { steps.first { $0.status == .failed } }

    /// ``startedAt`` as a date, when it is one.
    public var startDate: Date? { startedAt.flatMap(Timestamp.parse) }

    /// ``finishedAt`` as a date, when it is one.
    public var finishDate: Date? { finishedAt.flatMap(Timestamp.parse) }

    /// Seconds from start to finish, when both are known.
    public var durationSeconds: Double? {
        guard let start = startDate, let finish = finishDate else { return nil }
        return max(0, finish.timeIntervalSince(start))
    }
}
