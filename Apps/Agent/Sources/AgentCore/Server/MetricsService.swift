import Logging
import ServiceLifecycle

/// The agent's `/metrics` endpoint as a `Service`. It stays up while runs finish their grace period and stops when
/// the group's graceful shutdown reaches it (services stop in reverse order, so after the triggers).
struct MetricsService: Service {
    let port: Int
    let metrics: AgentMetrics
    let logger: Logger
    let onListening: @Sendable (Int) -> Void

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await MetricsEndpoint.serve(port: port, metrics: metrics, logger: logger, onListening: onListening)
        }
    }
}
