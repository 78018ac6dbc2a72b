import Synchronization

/// The last lines of a run's output, bounded in bytes; safe to append to from any thread.
public final class LogTail: Sendable {
    /// The bound docs/api.md sets for a report's `log_tail`: 64 KiB.
    public static let defaultLimit = 64 * 1024

    private struct State {
        var lines: [String] = []
        var head = 0
        var bytes = 0
        var dropped = false
    }
    private let state = Mutex(State())
    private let limit: Int

    /// A tail that keeps at most `limit` bytes.
    public init(limit: Int = LogTail.defaultLimit) { self.limit = limit }

    /// Adds a line, dropping the oldest lines while over the limit.
    public func append(_ line: String) {
        var line = line
        if line.utf8.count + 1 > limit { line = String(decoding: line.utf8.suffix(limit - 1), as: UTF8.self) }
        state.withLock { s in
            s.lines.append(line)
            s.bytes += line.utf8.count + 1
            while s.bytes > limit && s.head < s.lines.count {
                s.bytes -= s.lines[s.head].utf8.count + 1
                s.head += 1
                s.dropped = true
            }
            if s.head > 1024 && s.head * 2 > s.lines.count {
                s.lines.removeFirst(s.head)
                s.head = 0
            }
        }
    }

    /// The kept lines joined by newlines (each line ends with one).
    public var text: String {
        state.withLock { s in s.lines[s.head...].map { $0 + "\n" }.joined() }
    }

    /// Whether older lines were dropped.
    public var truncated: Bool { state.withLock { $0.dropped } }
}
