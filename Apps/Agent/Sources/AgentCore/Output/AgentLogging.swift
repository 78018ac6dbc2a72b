import Logging

/// The agent's log: swift-log's stream handler on standard error, level from `PROSTAGMA_LOG_LEVEL`.
public enum AgentLogging {
    /// A logger labelled `prostagma-agent`.
    public static func logger() -> Logger {
        var logger = Logger(label: "prostagma-agent") { StreamLogHandler.standardError(label: $0) }
        if let level = ProcessEnvironment.current()["PROSTAGMA_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) {
            logger.logLevel = level
        }
        return logger
    }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    let text = line + "\n"
    _ = text.utf8CString.withUnsafeBufferPointer { systemWrite(2, $0.baseAddress, $0.count - 1) }
}
