import Foundation
import Logging
import Synchronization

@testable import AgentCore

/// A fresh directory under the system's temporary directory, removed by `remove()`.
struct TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/agent-tests-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard let made else { throw AgentError.io("mkdtemp failed") }
        path = String(cString: made)
    }

    func file(_ name: String) -> String { path + "/" + name }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let p = file(name)
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Paths inside the repository, found from this file (never a hard-coded checkout).
enum RepoPaths {
    static let testsSupport = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
    static let agentPackage = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
}

/// A logger that keeps its lines, for asserting on what was logged.
final class CapturedLog: Sendable {
    let lines = Mutex<[String]>([])

    var logger: Logger {
        let box = self
        var logger = Logger(label: "test") { _ in CapturingHandler(sink: box) }
        logger.logLevel = .debug
        return logger
    }

    var all: [String] { lines.withLock { $0 } }

    func count(containing text: String) -> Int { all.filter { $0.contains(text) }.count }
}

struct CapturingHandler: LogHandler {
    let sink: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        sink.lines.withLock { $0.append("\(event.level): \(event.message)") }
    }
}

/// Collects values from any thread.
final class Collector<T: Sendable>: Sendable {
    let items = Mutex<[T]>([])
    func append(_ item: T) { items.withLock { $0.append(item) } }
    var all: [T] { items.withLock { $0 } }
}

/// A one-shot event between a test and the code it drives: `open()` once, and `wait()` returns (at once if it is
/// already open). One task may wait on it.
struct Latch: Sendable {
    private let opened: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() { (opened, continuation) = AsyncStream.makeStream(of: Void.self) }

    func open() { continuation.finish() }

    func wait() async {
        for await _ in opened {}
    }
}

/// Whether process `pid` is gone (or a zombie nobody reaped).
func processIsGone(_ pid: pid_t) -> Bool {
    if kill(pid, 0) != 0 { return errno == ESRCH }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
    guard let close = stat.lastIndex(of: ")") else { return false }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    return fields.first == "Z"
}

/// Checks `condition` every 20 ms until it holds or `timeout` has passed; returns whether it held. Tests
/// `#expect` the answer, so a condition that never comes fails the test instead of hanging it.
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
        if (try? await condition()) == true { return true }
        if clock.now >= deadline { return false }
        try await Task.sleep(for: .milliseconds(20))
    }
}

extension Result where Failure == any Error {
    /// Runs an async throwing body into a result.
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

/// The living (not zombie) processes whose process group is `pgid`, from /proc.
func livingMembers(ofGroup pgid: pid_t) -> [pid_t] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> pid_t? in
        guard let pid = pid_t(entry),
            let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // After the command name: state, ppid, pgrp, ...
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 2, fields[0] != "Z", pid_t(fields[2]) == pgid else { return nil }
        return pid
    }
}
