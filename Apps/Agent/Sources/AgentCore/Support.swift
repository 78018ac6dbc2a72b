import Logging
import UnixSignals

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

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

/// Random run ids.
enum UUIDString {
    static func make() -> String { UUID().uuidString.lowercased() }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    let text = line + "\n"
    _ = text.utf8CString.withUnsafeBufferPointer { systemWrite(2, $0.baseAddress, $0.count - 1) }
}

/// Traps SIGTERM and SIGINT while `body` runs, firing `stop` when one arrives.
enum SignalScope {
    static func run<T: Sendable>(stop: StopSignal, _ body: @escaping @Sendable () async -> T) async -> T {
        await withTaskGroup(of: T?.self) { group in
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
                    stop.fire()
                    break
                }
                return nil
            }
            group.addTask { await body() }
            var result: T?
            while let next = await group.next() {
                if let next {
                    result = next
                    group.cancelAll()
                }
            }
            return result!
        }
    }
}

/// Formats a run report for `run --once`.
public enum RunPrinter {
    /// One line per step, then the run's status.
    public static func text(_ report: RunReport) -> String {
        var lines: [String] = []
        for step in report.steps {
            var line = "step \(step.index + 1) \(step.kind): \(step.status.rawValue)"
            if step.status != .skipped { line += " in \(RunExecutor.seconds(step.durationSeconds))" }
            if let code = step.exitCode, step.status != .succeeded { line += " (exit status \(code))" }
            if let message = step.message { line += ": \(message)" }
            lines.append(line)
        }
        if report.steps.isEmpty && report.status == .failed {
            lines.append(report.logTail.trimmingWhitespace())
        }
        lines.append("run \(report.id): \(report.status.rawValue)")
        return lines.joined(separator: "\n")
    }
}

/// Formats the outcome of `prostagma-agent trigger` and chooses the exit status.
public enum TriggerPrinter {
    struct Outcome: Decodable {
        var count: Int?
        var runs: [RunReport]?
        var pending: [String]?
    }

    /// The text to print and the exit status: 0 done (all runs succeeded), 1 a run failed, 2 timed out.
    public static func describe(_ outcome: ServerClient.TriggerOutcome, trigger: String, waited: Bool) -> (
        String, Int32
    ) {
        let decoded = try? JSONDecoder().decode(Outcome.self, from: Data(outcome.body.utf8))
        let count = outcome.count.map { " to \($0)" } ?? ""
        var lines = ["\(trigger): incremented\(count)" + (outcome.original ? " (original server: cannot wait)" : "")]
        guard waited, !outcome.original else { return (lines.joined(separator: "\n"), 0) }
        for run in decoded?.runs ?? [] {
            var line = "  \(run.agent): \(run.status.rawValue)"
            if let failed = run.failedStep {
                line += " at step \(failed.index + 1) (\(failed.kind))"
                if let message = failed.message { line += ": \(message)" }
            }
            lines.append(line)
            if run.status == .failed, !run.logTail.isEmpty {
                let tail = run.logTail.split(separator: "\n", omittingEmptySubsequences: false).suffix(20)
                lines.append(contentsOf: tail.map { "    | \($0)" })
            }
        }
        let pending = decoded?.pending ?? []
        switch outcome.status {
        case 409:
            lines.append("deploy FAILED")
            return (lines.joined(separator: "\n"), 1)
        case 504:
            lines.append("timed out waiting for: " + (pending.isEmpty ? "(unknown)" : pending.joined(separator: ", ")))
            return (lines.joined(separator: "\n"), 2)
        default:
            lines.append("deploy succeeded on \(decoded?.runs?.count ?? 0) agent(s)")
            return (lines.joined(separator: "\n"), 0)
        }
    }
}
