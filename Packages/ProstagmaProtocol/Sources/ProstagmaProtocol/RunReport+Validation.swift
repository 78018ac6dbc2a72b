extension RunReport {
    /// Checks every field against the contract and returns the report with its log tail cut to
    /// ``maximumLogTailBytes`` (the newest bytes, on a character boundary).
    ///
    /// Throws a ``ProtocolError`` naming the first field that is wrong and what was expected.
    public func validated() throws(ProtocolError) -> RunReport {
        func invalid(_ message: String) -> ProtocolError { ProtocolError(.invalidField, message) }
        // Lengths in characters (Unicode scalars), as openapi.yaml's minLength/maxLength count them.
        if agent.isEmpty || agent.unicodeScalars.count > 256 {
            throw invalid("'agent' must be 1 to 256 characters")
        }
        if let host, host.unicodeScalars.count > 256 { throw invalid("'host' must be at most 256 characters") }
        try TriggerName.validate(trigger)
        if count < 0 { throw invalid("'count' must not be negative") }
        if !RunStatus.runStatuses.contains(status) {
            throw invalid("'status' is '\(status)'; expected succeeded, failed or cancelled")
        }
        if let id, id.isEmpty || id.unicodeScalars.count > 128 { throw invalid("'id' must be 1 to 128 characters") }
        for (name, value) in [("started_at", startedAt), ("finished_at", finishedAt)] {
            if let value, Timestamp.parse(value) == nil {
                throw invalid("'\(name)' is '\(value)'; expected an RFC 3339 time like 2026-11-25T10:00:00.123Z")
            }
        }
        if steps.count > Self.maximumSteps { throw invalid("a run has at most \(Self.maximumSteps) steps") }
        for step in steps {
            if !RunStatus.stepStatuses.contains(step.status) {
                throw invalid(
                    "step \(step.index) status is '\(step.status)'; expected succeeded, failed, cancelled or skipped")
            }
            if !step.durationSeconds.isFinite || step.durationSeconds < 0 {
                throw invalid("step \(step.index) duration_seconds must be a non-negative number")
            }
        }
        var report = self
        if let tail = logTail { report.logTail = Self.boundedTail(tail) }
        return report
    }

    /// The newest ``maximumLogTailBytes`` of `tail`, starting on a character boundary.
    public static func boundedTail(_ tail: String) -> String {
        guard tail.utf8.count > maximumLogTailBytes else { return tail }
        var bytes = tail.utf8.suffix(maximumLogTailBytes)[...]
        while let first = bytes.first, first & 0xC0 == 0x80 { bytes = bytes.dropFirst() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
