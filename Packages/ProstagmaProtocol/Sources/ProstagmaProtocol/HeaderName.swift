/// The `X-Prostagma-*` headers, as both sides spell them (HTTP header names are case-insensitive; compare them so).
public enum HeaderName {
    /// The agent's name, sent with its long polls and reports.
    public static let agent = "X-Prostagma-Agent"
    /// The agent's host name.
    public static let host = "X-Prostagma-Host"
    /// The agent's fallback poll interval in seconds; the server judges liveness by it.
    public static let pollInterval = "X-Prostagma-Poll-Interval"
    /// The lowercase hex SHA-256 of a whole artifact, sent with `GET /v1/artifacts`.
    public static let sha256 = "X-Prostagma-SHA256"
}
