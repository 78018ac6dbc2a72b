import HTTPCore
import Logging
import PrometheusMetrics

/// Serves `GET /metrics` on `PROSTAGMA_PROM_PORT` (all interfaces, like the original) with HTTPCore's server.
enum MetricsEndpoint {
    static func serve(
        port: Int, metrics: AgentMetrics, logger: Logger,
        onListening: @escaping @Sendable (Int) -> Void
    ) async throws {
        var router = Router()
        router.get("/metrics") { _, _ in
            HTTPResponse(text: metrics.render(), contentType: Exposition.contentType)
        }
        let server = HTTPServer(
            router: router,
            configuration: .init(host: "0.0.0.0", port: port, shutdownTimeout: .seconds(2), accessLogLevel: nil),
            logger: logger,
            onServerRunning: { address in
                let bound = address.port ?? port
                logger.info("metrics on http://0.0.0.0:\(bound)/metrics")
                onListening(bound)
            })
        // Kept up while a run finishes its grace period; the agent cancels this task when it stops.
        try await withTaskCancellationHandler {
            try await server.run()
        } onCancel: {
            server.triggerGracefulShutdown()
        }
    }
}
