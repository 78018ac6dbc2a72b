/// One agent's report of one run (docs/api.md "Run"), as posted to `POST /v1/runs` and listed by `GET /v1/runs`.
public struct RunReport: Codable, Sendable, Equatable {
    /// One step of a run.
    public struct Step: Codable, Sendable, Equatable {
        /// Position in the script, from 0.
        public var index: Int
        /// `shell`, `download`, `download_s3`, `unzip`.
        public var kind: String
        /// `succeeded`, `failed`, `cancelled` or `skipped`.
        public var status: String
        /// Wall time.
        public var durationSeconds: Double
        /// A shell step's exit code.
        public var exitCode: Int?
        /// Why it failed, for non-shell steps.
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

        enum CodingKeys: String, CodingKey {
            case index, kind, status
            case durationSeconds = "duration_seconds"
            case exitCode = "exit_code"
            case message
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(index, forKey: .index)
            try container.encode(kind, forKey: .kind)
            try container.encode(status, forKey: .status)
            try container.encode(durationSeconds, forKey: .durationSeconds)
            try container.encode(exitCode, forKey: .exitCode)
            try container.encode(message, forKey: .message)
        }
    }

    /// The run's id (a UUID the agent makes; the server makes one when it is absent).
    public var id: String?
    /// The agent's name.
    public var agent: String
    /// The agent's host name.
    public var host: String?
    /// The trigger the run was for.
    public var trigger: String
    /// The trigger count the run was for.
    public var count: Int64
    /// The server epoch the count belongs to.
    public var epoch: String?
    /// `succeeded`, `failed` or `cancelled`.
    public var status: String
    /// RFC 3339 start time.
    public var startedAt: String?
    /// RFC 3339 end time.
    public var finishedAt: String?
    /// Each step.
    public var steps: [Step]
    /// The last lines of output, at most ``maximumLogTailBytes``.
    public var logTail: String?

    /// The server keeps at most this many bytes of a log tail (the newest ones).
    public static let maximumLogTailBytes = 64 * 1024
    /// Accepted run statuses.
    public static let runStatuses: Set<String> = ["succeeded", "failed", "cancelled"]
    /// Accepted step statuses.
    public static let stepStatuses: Set<String> = ["succeeded", "failed", "cancelled", "skipped"]

    /// Creates a report.
    public init(
        id: String? = nil, agent: String, host: String? = nil, trigger: String, count: Int64, epoch: String? = nil,
        status: String, startedAt: String? = nil, finishedAt: String? = nil, steps: [Step] = [],
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
        case id, agent, host, trigger, count, epoch, status
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case steps
        case logTail = "log_tail"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(String.self, forKey: .id)
        agent = try container.decode(String.self, forKey: .agent)
        host = try container.decodeIfPresent(String.self, forKey: .host)
        trigger = try container.decode(String.self, forKey: .trigger)
        count = try container.decode(Int64.self, forKey: .count)
        epoch = try container.decodeIfPresent(String.self, forKey: .epoch)
        status = try container.decode(String.self, forKey: .status)
        startedAt = try container.decodeIfPresent(String.self, forKey: .startedAt)
        finishedAt = try container.decodeIfPresent(String.self, forKey: .finishedAt)
        steps = try container.decodeIfPresent([Step].self, forKey: .steps) ?? []
        logTail = try container.decodeIfPresent(String.self, forKey: .logTail)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(agent, forKey: .agent)
        try container.encode(host, forKey: .host)
        try container.encode(trigger, forKey: .trigger)
        try container.encode(count, forKey: .count)
        try container.encode(epoch, forKey: .epoch)
        try container.encode(status, forKey: .status)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(finishedAt, forKey: .finishedAt)
        try container.encode(steps, forKey: .steps)
        try container.encode(logTail, forKey: .logTail)
    }

    /// Checks the values (422 on the first bad one) and returns the report with its log tail bounded.
    public func validated() throws(ServerError) -> RunReport {
        var report = self
        if agent.isEmpty || agent.utf8.count > 256 { throw .unprocessable("'agent' must be 1 to 256 bytes") }
        if let host, host.utf8.count > 256 { throw .unprocessable("'host' must be at most 256 bytes") }
        try Validator.checkTriggerName(trigger)
        if count < 0 { throw .unprocessable("'count' must not be negative") }
        if !Self.runStatuses.contains(status) {
            throw .unprocessable("'status' is '\(status)'; expected succeeded, failed or cancelled")
        }
        if let id, id.isEmpty || id.utf8.count > 128 { throw .unprocessable("'id' must be 1 to 128 bytes") }
        for (name, value) in [("started_at", startedAt), ("finished_at", finishedAt)] {
            if let value, Timestamp.parse(value) == nil {
                throw .unprocessable("'\(name)' is '\(value)'; expected an RFC 3339 time like 2026-11-25T10:00:00.123Z")
            }
        }
        if steps.count > 10_000 { throw .unprocessable("a run has at most 10000 steps") }
        for step in steps {
            if !Self.stepStatuses.contains(step.status) {
                throw .unprocessable(
                    "step \(step.index) status is '\(step.status)'; expected succeeded, failed, cancelled or skipped")
            }
            if !step.durationSeconds.isFinite || step.durationSeconds < 0 {
                throw .unprocessable("step \(step.index) duration_seconds must be a non-negative number")
            }
        }
        if let tail = logTail, tail.utf8.count > Self.maximumLogTailBytes {
            var bytes = Array(tail.utf8.suffix(Self.maximumLogTailBytes))
            while let first = bytes.first, first & 0xC0 == 0x80 { bytes.removeFirst() }
            report.logTail = String(decoding: bytes, as: UTF8.self)
        }
        return report
    }
}
