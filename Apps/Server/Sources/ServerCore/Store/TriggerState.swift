import Foundation

/// A trigger's committed state: its count and when it was last incremented.
public struct TriggerState: Sendable, Equatable {
    /// The trigger's name.
    public var name: String
    /// How many times it was incremented since the database was created (0 for unknown triggers).
    public var count: Int64
    /// When it was last incremented; `nil` if never.
    public var lastIncrement: Date?

    /// Creates a state.
    public init(name: String, count: Int64, lastIncrement: Date?) {
        self.name = name
        self.count = count
        self.lastIncrement = lastIncrement
    }
}

/// RFC 3339 UTC timestamps with milliseconds, as docs/api.md specifies (`2026-11-25T10:00:00.123Z`).
public enum Timestamp {
    /// Renders `date` as `2026-11-25T10:00:00.123Z`.
    public static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// Parses RFC 3339 with or without fractional seconds; `nil` when it is not one.
    public static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
            return date
        }
        return try? Date(text, strategy: Date.ISO8601FormatStyle())
    }
}
