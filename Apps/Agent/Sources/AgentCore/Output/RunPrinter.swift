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
        // A run that failed before its first step (an invalid script, a param the release lacks) says why in its tail.
        if report.status == .failed && report.failedStep == nil {
            lines.append((report.logTail ?? "").trimmingWhitespace())
        }
        lines.append("run \(report.id ?? "-"): \(report.status.rawValue)")
        return lines.joined(separator: "\n")
    }
}
