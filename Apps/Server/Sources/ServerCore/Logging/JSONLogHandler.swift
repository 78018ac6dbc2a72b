import Foundation
import Logging
import ProstagmaProtocol
import Synchronization

/// Writes one JSON object per log line to standard error (`PROSTAGMA_LOG_FORMAT=json`):
/// `{"time":"...","level":"info","label":"...","message":"...", <metadata>}`.
public struct JSONLogHandler: LogHandler {
    /// Metadata attached to every line.
    public var metadata: Logger.Metadata = [:]
    /// The lowest level written.
    public var logLevel: Logger.Level = .info
    let label: String

    private static let output = Mutex(())

    /// Creates a handler for `label`.
    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        emit(Self.render(event: event, label: label, metadata: merged, time: Date()))
    }

    /// Renders one line (pure, for tests).
    static func render(event: LogEvent, label: String, metadata: Logger.Metadata, time: Date) -> String {
        var object: [String: String] = [:]
        for (key, value) in metadata { object[key] = "\(value)" }
        object["time"] = Timestamp.format(time)
        object["level"] = event.level.rawValue
        object["label"] = label
        object["message"] = "\(event.message)"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(object)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    private func emit(_ line: String) {
        Self.output.withLock { _ in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
}
