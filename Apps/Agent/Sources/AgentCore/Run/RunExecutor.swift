import Logging
import ServiceLifecycle

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

/// Runs a build script's steps in order and reports the outcome. The script is read and validated again
/// before the first step, so an edited script that no longer validates fails the run before anything runs.
public struct RunExecutor: Sendable {
    /// The shell for `shell` steps (`PROSTAGMA_SHELL`).
    public var shell: String
    /// The environment every step starts from (usually the agent's own).
    public var baseEnvironment: [String: String]
    /// Reads and validates the script; called at the start of each run.
    public var loadScript: @Sendable () throws -> BuildScript
    /// Fetches artifacts for download steps.
    public var fetcher: any ArtifactFetching
    /// Extracts archives for unzip steps.
    public var extractor: any ArchiveExtracting
    /// How long a running step may go on once the graceful shutdown of the service running it begins (SIGTERM).
    /// From then on no new step starts.
    public var grace: Duration
    /// Where output and step results are logged.
    public var logger: Logger
    /// Called with each download's size, for metrics.
    public var onDownloadBytes: @Sendable (Int64) -> Void = { _ in }

    /// Makes an executor.
    public init(
        shell: String, baseEnvironment: [String: String], loadScript: @escaping @Sendable () throws -> BuildScript,
        fetcher: any ArtifactFetching, extractor: any ArchiveExtracting, grace: Duration = .seconds(10), logger: Logger
    ) {
        self.shell = shell
        self.baseEnvironment = baseEnvironment
        self.loadScript = loadScript
        self.fetcher = fetcher
        self.extractor = extractor
        self.grace = grace
        self.logger = logger
    }

    /// Runs the script for `context` and returns the report (never throws: failures are in the report).
    public func run(_ context: RunContext) async -> RunReport {
        let started = Date()
        let tail = LogTail()
        let label = "\(context.trigger)#\(context.count)"
        var results: [RunReport.Step] = []
        var status: RunStatus = .succeeded

        func finish() -> RunReport {
            RunReport(
                id: context.runID, agent: context.agent, host: context.host, trigger: context.trigger,
                count: Int64(context.count), epoch: context.epoch, status: status,
                startedAt: Timestamp.format(started), finishedAt: Timestamp.format(Date()),
                steps: results, logTail: tail.text)
        }

        let script: BuildScript
        do {
            script = try loadScript()
        } catch {
            logger.error("[\(label)] the build script is invalid; nothing runs: \(error)")
            tail.append("the build script is invalid; nothing ran: \(error)")
            status = .failed
            return finish()
        }
        /// Fails the run before its first step, every step skipped: `why` and `detail` go to the log and the tail.
        func failBeforeAnyStep(_ why: String, _ detail: String) -> RunReport {
            logger.error("[\(label)] \(why); nothing runs:\(detail)")
            tail.append("\(why); nothing ran:\(detail)")
            status = .failed
            results = script.steps.enumerated().map {
                RunReport.Step(index: $0.offset, kind: $0.element.kind, status: .skipped, durationSeconds: 0)
            }
            return finish()
        }
        if let problem = context.releaseProblem {
            return failBeforeAnyStep("\(context.releaseName) cannot be read, so its params are unknown", " \(problem)")
        }
        // Every field is filled in before the first step, so a missing param fails the run with nothing done.
        let resolved: BuildScript
        do {
            resolved = try script.resolved(params: context.params, release: context.releaseName)
        } catch {
            return failBeforeAnyStep("the build script cannot run \(context.releaseName)", "\n\(error)")
        }
        let params = context.params.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let shown = params.isEmpty ? "" : ", params " + params.joined(separator: ", ")
        logger.info("[\(label)] run \(context.runID) starts: \(script.steps.count) steps\(shown)")
        for name in context.params.keys.sorted() where !ReleaseRules.isValidParamName(name) {
            logger.warning("[\(label)] param `\(name)` is not a valid param name; steps do not see it")
        }

        let environment = Self.environment(base: baseEnvironment, script: script, context: context)

        for (index, step) in resolved.steps.enumerated() {
            if status != .succeeded || Task.isShuttingDownGracefully {
                if status == .succeeded { status = .cancelled }
                results.append(.init(index: index, kind: step.kind, status: .skipped, durationSeconds: 0))
                continue
            }
            let prefix = "[\(label) step \(index + 1)/\(script.steps.count) \(step.kind)]"
            let clock = ContinuousClock()
            let begin = clock.now
            var result = await runStep(step, environment: environment, prefix: prefix, tail: tail)
            let elapsed = clock.now - begin
            result.index = index
            result.durationSeconds =
                Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            switch result.status {
            case .succeeded:
                logger.info("\(prefix) succeeded in \(Self.seconds(result.durationSeconds))")
            case .failed:
                status = .failed
                let line = "\(prefix) failed: \(result.message ?? "")"
                logger.error("\(line)")
                tail.append(line)
            case .cancelled:
                status = .cancelled
                let line = "\(prefix) cancelled: \(result.message ?? "the agent is shutting down")"
                logger.warning("\(line)")
                tail.append(line)
            default:
                break
            }
            results.append(result)
        }
        logger.info("[\(label)] run \(context.runID) \(status.rawValue)")
        return finish()
    }

    /// What every step's environment holds: the agent's own (without `PROSTAGMA_PARAM_*`, so a step sees exactly
    /// the release's params), the script's `env`, then `PROSTAGMA_TRIGGER`, `PROSTAGMA_COUNT`, `PROSTAGMA_RUN_ID`
    /// and `PROSTAGMA_PARAM_<NAME>` for each param.
    static func environment(base: [String: String], script: BuildScript, context: RunContext) -> [String: String] {
        var environment = base.filter { !$0.key.hasPrefix("PROSTAGMA_PARAM_") }
        for (key, value) in script.env { environment[key] = value }
        environment["PROSTAGMA_TRIGGER"] = context.trigger
        environment["PROSTAGMA_COUNT"] = String(context.count)
        environment["PROSTAGMA_RUN_ID"] = context.runID
        for (name, value) in context.params where ReleaseRules.isValidParamName(name) {
            environment[ReleaseRules.environmentName(of: name)] = value
        }
        return environment
    }

    static func seconds(_ value: Double) -> String {
        let ms = Int((value * 1000).rounded())
        return "\(ms / 1000).\(String(repeating: "0", count: 3 - String(ms % 1000).count))\(ms % 1000)s"
    }

    func runStep(_ step: Step, environment: [String: String], prefix: String, tail: LogTail) async
        -> RunReport.Step
    {
        var result = RunReport.Step(index: 0, kind: step.kind, status: .succeeded, durationSeconds: 0)
        let logger = self.logger
        switch step.action {
        case .shell(let command):
            let process = StepProcess(executable: shell, arguments: ["-e", "-c", command], environment: environment)
            do {
                let outcome = try await process.run(timeout: step.timeout, grace: grace) { line in
                    logger.info("\(prefix) \(line)")
                    tail.append(line)
                }
                result.exitCode = outcome.exitCode
                if outcome.cancelled {
                    result.status = .cancelled
                    result.message = "stopped after the shutdown grace period (\(outcome.summary))"
                } else if outcome.timedOut {
                    result.status = .failed
                    result.message =
                        "timed out after \(DurationParser.format(step.timeout ?? .zero)); process group killed"
                } else if !outcome.succeeded {
                    result.status = .failed
                    result.message = outcome.summary
                }
            } catch {
                result.status = .failed
                result.message = "\(error)"
            }
        case .download(let download), .downloadS3(let download):
            let outcome = await StepRace.run(timeout: step.timeout, grace: grace) {
                try await self.download(download)
            }
            apply(outcome, to: &result, timeout: step.timeout) { bytes in
                let line = "\(prefix) \(download.url) -> \(download.dest) (\(bytes) bytes)"
                logger.info("\(line)")
                tail.append(line)
            }
        case .unzip(let unzip):
            let extractor = self.extractor
            let outcome = await StepRace.run(timeout: step.timeout, grace: grace) {
                Int64(try await extractor.extract(src: unzip.src, dest: unzip.dest, overwrite: unzip.overwrite))
            }
            apply(outcome, to: &result, timeout: step.timeout) { entries in
                let line = "\(prefix) \(unzip.src) -> \(unzip.dest) (\(entries) entries)"
                logger.info("\(line)")
                tail.append(line)
            }
        }
        return result
    }

    private func apply(
        _ outcome: StepRace.Outcome<Int64>, to result: inout RunReport.Step, timeout: Duration?,
        success: (Int64) -> Void
    ) {
        switch outcome {
        case .finished(let value): success(value)
        case .failed(let message):
            result.status = .failed
            result.message = message
        case .timedOut:
            result.status = .failed
            result.message = "timed out after \(DurationParser.format(timeout ?? .zero))"
        case .cancelled:
            result.status = .cancelled
            result.message = "stopped after the shutdown grace period"
        }
    }

    /// Downloads into a temporary file beside `dest`, verifies, sets the mode, renames into place. Any
    /// failure removes the temporary file and leaves `dest` as it was.
    func download(_ download: Download) async throws -> Int64 {
        let directory = FileSystem.directoryOf(download.dest)
        try FileSystem.createDirectories(directory)
        let temp = FileSystem.temporaryPath(beside: download.dest)
        var placed = false
        defer {
            if !placed {
                unlink(temp)
                unlink(temp + ".partial")  // HTTPCore's own temporary name, should a transfer break off
            }
        }
        let fetched = try await fetcher.fetch(url: download.url, cache: download.cache, to: temp)
        if download.sha256 != nil || fetched.sha256 != nil {
            let actual: String
            if let received = fetched.receivedSHA256 {
                actual = received
            } else {
                actual = try await FileDigest.sha256Hex(of: temp)
            }
            if let expected = download.sha256, expected != actual {
                throw AgentError.step(
                    "\(download.url): SHA-256 mismatch: expected \(expected), got \(actual); \(download.dest) left as it was"
                )
            }
            if let announced = fetched.sha256?.lowercased(), announced != actual {
                throw AgentError.step(
                    "\(download.url): the server announced SHA-256 \(announced) but the bytes hash to \(actual) "
                        + "(truncated transfer?); \(download.dest) left as it was")
            }
        }
        if let mode = download.mode, chmod(temp, mode_t(mode)) != 0 {
            throw AgentError.io("\(download.dest): cannot set mode: \(FileSystem.errorText())")
        }
        // The last point a timed-out or stopped step may give up at: after it, `dest` is replaced.
        try Task.checkCancellation()
        if rename(temp, download.dest) != 0 {
            throw AgentError.io("\(download.dest): cannot rename into place: \(FileSystem.errorText())")
        }
        placed = true
        FileSystem.fsyncDirectory(directory)
        onDownloadBytes(fetched.bytes)
        return fetched.bytes
    }
}
