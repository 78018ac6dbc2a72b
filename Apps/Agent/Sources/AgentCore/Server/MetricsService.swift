import Logging
import ServiceLifecycle

/// The agent's `/metrics` endpoint as a `Service`. It stays up while runs finish their grace period and stops when
/// the group's graceful shutdown reaches it (services stop in reverse order, so after the triggers).
struct MetricsService: Service {
    let port: Int
    let metrics: AgentMetrics
    let logger: Logger
    let onListening: @Sendable (Int) -> Void

    /// A port that cannot be bound fails the service, and with it the agent at start, naming the port: metrics that
    /// silently never appear are worse than an agent that does not start.
    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await MetricsEndpoint.serve(port: port, metrics: metrics, logger: logger, onListening: onListening)
            }
        } catch is CancellationError {
            return
        } catch {
            throw AgentError.configuration(
                "cannot serve metrics on port \(port) (PROSTAGMA_PROM_PORT / --prom-port): \(error)")
        }
    }
}
