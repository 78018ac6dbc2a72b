import Foundation
import HTTPCore
import Logging
import ServiceLifecycle

/// Builds and runs the server: components, routes, the HTTP server and the background service, in a
/// `ServiceGroup` that shuts down gracefully on SIGTERM and SIGINT.
public enum ServerApplication {
    /// Runs until SIGTERM/SIGINT. Prints a generated secret once.
    public static func run(configuration: ServerConfiguration) async throws {
        LoggingSystem.bootstrap { label in
            switch configuration.logFormat {
            case .text: return StreamLogHandler.standardError(label: label)
            case .json: return JSONLogHandler(label: label)
            }
        }
        var logger = Logger(label: "prostagma-server")
        logger.logLevel = .info
        let resolved: SecretResolver.Resolved
        do {
            resolved = try SecretResolver().resolve(
                configuration.secretSource, dataDirectory: configuration.dataDirectory)
        } catch {
            logger.critical("\(error.detail)")
            throw error
        }
        if resolved.generated {
            // Printed once, on the start that made it; later starts read it from the file.
            print(
                "prostagma-server: no secret configured; generated one into \(resolved.path ?? "?"): \(resolved.secret)"
            )
            // stdout is block-buffered when it is a file or a pipe (journald, `> server.log`): without a flush
            // the one line that shows the secret would appear only when the server exits.
            fflush(nil)
        }
        let components = try ServerComponents(configuration: configuration, secret: resolved.secret, logger: logger)
        let server = makeHTTPServer(components: components, logger: logger)
        let background = BackgroundService(components: components)
        logger.info(
            "starting", metadata: ["configuration": "\(configuration)", "epoch": "\(components.store.epoch)"])
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: server), .init(service: background)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        await components.flushAgents()
        await components.fetcher.shutdown()
        try? components.store.close()
        logger.info("stopped")
    }

    /// The HTTP server for `components` (tests call this with port 0).
    public static func makeHTTPServer(
        components: ServerComponents, logger: Logger,
        onServerRunning: (@Sendable (SocketAddress) async -> Void)? = nil
    ) -> HTTPServer {
        let configuration = components.configuration
        var http = HTTPServer.Configuration(host: configuration.host, port: configuration.port)
        if let cert = configuration.tlsCertificatePath, let key = configuration.tlsKeyPath {
            http.tls = .init(certificatePath: cert, privateKeyPath: key)
        }
        http.requestTimeout = .seconds(ServerComponents.maximumDeployWaitSeconds + 60)
        // One line per request would dominate the log with long polls from a fleet; metrics count requests.
        http.accessLogLevel = .debug
        return HTTPServer(
            router: ServerRoutes(components: components).makeRouter(), configuration: http, logger: logger,
            onServerRunning: onServerRunning)
    }
}

/// Persists agent records every few seconds; on graceful shutdown answers every open long poll and
/// `?wait=` before the HTTP server stops (it is listed after the server, so the group stops it first).
public struct BackgroundService: Service {
    let components: ServerComponents

    /// Creates the service.
    public init(components: ServerComponents) {
        self.components = components
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            try? await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(5))
                    await components.flushAgents()
                }
            }
        } onGracefulShutdown: {
            components.hub.shutdown()
            components.runHub.shutdown()
        }
        await components.flushAgents()
    }
}
