/// A run as the server reports it (`GET /v1/runs`), the fields the scenarios check.
public struct RunReport: Decodable, Sendable {
    /// One step of the run.
    public struct Step: Decodable, Sendable {
        /// Position in the script.
        public let index: Int
        /// `shell`, `download`, `download_s3` or `unzip`.
        public let kind: String
        /// `succeeded`, `failed`, `cancelled` or `skipped`.
        public let status: String
        /// The shell's exit code, when it has one.
        public let exitCode: Int?
        /// Why it failed, when it did.
        public let message: String?
    }

    /// The run's id.
    public let id: String
    /// The agent that ran it.
    public let agent: String
    /// The trigger.
    public let trigger: String
    /// The count it ran for.
    public let count: Int
    /// `succeeded`, `failed` or `cancelled`.
    public let status: String
    /// Each step.
    public let steps: [Step]
    /// The end of the run's log.
    public let logTail: String?
}

struct RunList: Decodable {
    let runs: [RunReport]
}
