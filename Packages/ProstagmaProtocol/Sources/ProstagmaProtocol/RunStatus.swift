/// How a run or one of its steps ended: `succeeded`, `failed`, `cancelled`, or (steps only) `skipped`.
///
/// A struct over the wire text rather than an enum, so a report with a status this build does not know still
/// decodes, is shown as it is, and is refused by ``RunReport/validate()`` with a message that names it.
public struct RunStatus: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    /// The wire text.
    public let rawValue: String

    /// Wraps a wire text.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Wraps a wire text written as a literal.
    public init(stringLiteral value: String) { self.rawValue = value }

    /// Everything worked.
    public static let succeeded = RunStatus(rawValue: "succeeded")
    /// A step failed (for a run: the first failing step; later steps are skipped).
    public static let failed = RunStatus(rawValue: "failed")
    /// The agent shut down (or the step timed out on a shutdown) before it finished.
    public static let cancelled = RunStatus(rawValue: "cancelled")
    /// Not run, because an earlier step failed or the run was cancelled (steps only).
    public static let skipped = RunStatus(rawValue: "skipped")

    /// The statuses a run may end with.
    public static let runStatuses: [RunStatus] = [.succeeded, .failed, .cancelled]
    /// The statuses a step may end with.
    public static let stepStatuses: [RunStatus] = [.succeeded, .failed, .cancelled, .skipped]

    /// Decodes the wire text.
    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    /// Encodes the wire text.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// The wire text.
    public var description: String { rawValue }
}
