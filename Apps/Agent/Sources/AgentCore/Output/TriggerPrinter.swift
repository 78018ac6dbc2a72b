#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Formats the outcome of `prostagma-agent trigger` and chooses the exit status.
public enum TriggerPrinter {
    /// The text to print and the exit status: 0 done (all runs succeeded), 1 a run failed, 2 timed out.
    ///
    /// The first line names the new count and, when the answer carries the release, what it deploys
    /// (`web: incremented to 9 (artifact=..., version=1.4.2)`, `web: rolled back to release 3 as count 9 (...)`).
    public static func describe(_ outcome: ServerClient.TriggerOutcome, trigger: String, waited: Bool) -> (
        String, Int32
    ) {
        let decoded = try? JSONDecoder().decode(DeployOutcome.self, from: Data(outcome.body.utf8))
        let release = (try? JSONDecoder().decode(TriggerState.self, from: Data(outcome.body.utf8)))?.release
        var headline = "\(trigger): incremented" + (outcome.count.map { " to \($0)" } ?? "")
        if let target = outcome.rolledBackTo {
            // A waited answer names the count, not the release it went back to.
            headline = "\(trigger): rolled back to \(target)" + (outcome.count.map { " as count \($0)" } ?? "")
        }
        if let release {
            if let from = release.rollbackOf {
                headline = "\(trigger): rolled back to release \(from) as count \(release.count)"
            }
            if !release.params.isEmpty {
                headline +=
                    " ("
                    + release.params.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                    .joined(separator: ", ") + ")"
            }
        }
        var lines = [headline + (outcome.original ? " (original server: cannot wait)" : "")]
        guard waited, !outcome.original else { return (lines.joined(separator: "\n"), 0) }
        for run in decoded?.runs ?? [] {
            var line = "  \(run.agent): \(run.status.rawValue)"
            if let failed = run.failedStep {
                line += " at step \(failed.index + 1) (\(failed.kind))"
                if let message = failed.message { line += ": \(message)" }
            }
            lines.append(line)
            if run.status == .failed, let logTail = run.logTail, !logTail.isEmpty {
                var all = logTail.split(separator: "\n", omittingEmptySubsequences: false)
                if all.last?.isEmpty == true { all.removeLast() }
                let tail = all.suffix(20)
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
            lines.append("deploy succeeded on \(decoded?.runs.count ?? 0) agent(s)")
            return (lines.joined(separator: "\n"), 0)
        }
    }
}
