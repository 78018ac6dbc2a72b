/// Whether an agent is in touch with the server: `live` while its long poll is open or it was seen within twice its
/// poll interval, `stale` after that.
public enum AgentLiveness: String, Codable, Sendable, Equatable, CaseIterable {
    /// In touch.
    case live
    /// Not seen for longer than twice its poll interval.
    case stale
}
