/// Why a long-poll wait ended.
public enum WakeReason: Sendable, Hashable, CustomStringConvertible {
    /// The awaited event happened (a `Notifier` published, or the awaited condition finished).
    case event
    /// The deadline passed first.
    case deadline
    /// The server is shutting down gracefully: answer now.
    case shutdown
    /// The client went away or the waiting task was cancelled: nobody will read the answer.
    case cancelled

    /// `"event"`, `"deadline"` or `"shutdown"`.
    public var description: String {
        switch self {
        case .event: "event"
        case .deadline: "deadline"
        case .shutdown: "shutdown"
        case .cancelled: "cancelled"
        }
    }
}
