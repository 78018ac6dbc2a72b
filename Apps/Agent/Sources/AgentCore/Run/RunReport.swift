#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A finished run, as reported to the server (`POST /v1/runs`) and printed by `run --once`. Field names
/// and shapes follow the Run object of docs/api.md.
public struct RunReport: Sendable, Equatable, Codable {
    /// How a run or a step ended.
    public enum Status: String, Sendable, Codable {
        /// Everything worked.
        case succeeded
        /// A step failed (for a run: the first failing step; later steps are skipped).
        case failed
        /// The agent shut down before it finished.
        case cancelled
        /// Not run because an earlier step failed or the run was cancelled.
        case skipped
    }

    /// One step's result.
    public struct StepResult: Sendable, Equatable, Codable {
        /// The step's position in the script, from 0.
        public var index: Int
        /// `shell`, `download`, `download_s3` or `unzip`.
        public var kind: String
        /// How the step ended.
        public var status: Status
        /// How long it took.
        public var durationSeconds: Double
        /// A shell step's exit status.
        public var exitCode: Int32?
        /// Why it failed, when it did.
        public var message: String?

        /// Makes a step result.
        public init(
            index: Int, kind: String, status: Status, durationSeconds: Double, exitCode: Int32? = nil,
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

        /// Encodes every field, absent ones as `null` (as docs/api.md shows them).
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

    /// The run's id (a UUID), also given to steps as `PROSTAGMA_RUN_ID`.
    public var id: String
    /// The agent's name.
    public var agent: String
    /// The host name.
    public var host: String
    /// The trigger.
    public var trigger: String
    /// The count this run deploys.
    public var count: Int
    /// The server's epoch when the count was seen (nil from an original server).
    public var epoch: String?
    /// `succeeded`, `failed` or `cancelled`.
    public var status: Status
    /// RFC 3339 UTC start time.
    public var startedAt: String
    /// RFC 3339 UTC end time.
    public var finishedAt: String
    /// The steps' results, one per step of the script.
    public var steps: [StepResult]
    /// The end of the run's output (at most `LogTail.defaultLimit` bytes).
    public var logTail: String

    /// Makes a report.
    public init(
        id: String, agent: String, host: String, trigger: String, count: Int, epoch: String?, status: Status,
        startedAt: String, finishedAt: String, steps: [StepResult], logTail: String
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

    /// Encodes every field, an absent epoch as `null`.
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
    public var failedStep: StepResult? { steps.first { $0.status == .failed } }
}
