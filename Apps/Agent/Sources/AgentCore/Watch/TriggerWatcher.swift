import Logging

/// Follows one trigger on the server and yields each new state it sees. Retries with back-off when the
/// server is unreachable, logging one line per change of connection state; reconnecting yields a state
/// only if it differs from the last one seen, so a reconnect never causes a run by itself.
public struct TriggerWatcher: Sendable {
    /// The trigger.
    public var trigger: String
    /// The server (or a stand-in).
    public var source: any TriggerSource
    /// The server's address, for log lines.
    public var serverDescription: String
    /// How often an original server is polled.
    public var pollInterval: Duration
    /// Sleeps (injectable for tests).
    public var sleep: @Sendable (Duration) async throws -> Void
    /// A number in [0, 1) for the back-off's jitter (injectable for tests).
    public var random: @Sendable () -> Double
    /// The log.
    public var logger: Logger
    /// Called for each failed poll, for metrics.
    public var onPollError: @Sendable () -> Void = {}

    /// Makes a watcher.
    public init(
        trigger: String, source: any TriggerSource, serverDescription: String, pollInterval: Duration,
        logger: Logger,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.trigger = trigger
        self.source = source
        self.serverDescription = serverDescription
        self.pollInterval = pollInterval
        self.logger = logger
        self.sleep = sleep
        self.random = random
    }

    /// Watches until the task is cancelled, calling `onChange` with every state that differs from the
    /// previous one (the first state included).
    public func watch(onChange: (PollResult) -> Void) async {
        var known: Observation?
        var backoff = Backoff()
        var connection = ConnectionState()
        var lastProtocol: ServerProtocol?
        while !Task.isCancelled {
            do {
                let result = try await source.poll(trigger: trigger, known: known)
                backoff.reset()
                if let line = connection.succeeded(server: serverDescription) { logger.info("\(line)") }
                if lastProtocol != result.serverProtocol {
                    if result.serverProtocol == .original {
                        let interval = DurationParser.format(pollInterval)
                        logger.warning(
                            "\(serverDescription) has no v1 API (404): polling GET /trigger every \(interval); runs are not reported"
                        )
                    }
                    lastProtocol = result.serverProtocol
                }
                if result.observation != known {
                    known = result.observation
                    onChange(result)
                }
                if result.serverProtocol == .original { try await sleep(pollInterval) }
            } catch {
                if Task.isCancelled { return }
                onPollError()
                let delay = backoff.nextDelay(random: random)
                if let line = connection.failed(server: serverDescription, reason: "\(error)", retryIn: delay) {
                    logger.warning("[\(trigger)] \(line)")
                }
                do { try await sleep(delay) } catch { return }
            }
        }
    }
}
