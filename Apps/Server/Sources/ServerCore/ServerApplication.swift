import Foundation
import HTTPCore
import Logging
import ServiceLifecycle
import UnixSignals

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
        let app = try await buildApplication(configuration: configuration, secret: resolved.secret, logger: logger)
        logger.info(
            "starting", metadata: ["configuration": "\(configuration)", "epoch": "\(app.components.store.epoch)"])
        try await app.run()
        logger.info("stopped")
    }

    /// Assembles the server for `configuration`: opens the store and the cache, builds the routes, the HTTP
    /// server and the background service. Nothing listens until the returned app runs. Tests call this with port 0
    /// and drive the app's ``ServerApp/router`` or a real socket.
    public static func buildApplication(
        configuration: ServerConfiguration, secret: String, logger: Logger, upstreamTimeout: Duration = .seconds(300),
        gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint]
    ) async throws -> ServerApp {
        let components = try await ServerComponents(
            configuration: configuration, secret: secret, logger: logger, upstreamTimeout: upstreamTimeout)
        let server = makeHTTPServer(components: components, logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: server), .init(service: BackgroundService(components: components)),
        ]
        // With a shared database, this replica hears of the others' increments, runs and policies.
        if let shared = components.sharedStore {
            services.append(.init(service: PostgresListener(store: shared, components: components)))
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: gracefulShutdownSignals, logger: logger))
        return ServerApp(components: components, http: server, group: group)
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
        // A body must arrive at 500 B/s or more after its first 20 s (docs/decisions.md); slow clients are counted.
        http.bodyReadTimeout = configuration.bodyReadTimeout
        http.minimumBodyRate = configuration.minimumBodyRate
        let timeouts = components.metrics.connectionTimeouts
        http.onTimeout = { reason in timeouts.labels(reason.rawValue).increment() }
        // One line per request would dominate the log with long polls from a fleet; metrics count requests.
        http.accessLogLevel = .debug
        return HTTPServer(
            router: ServerRoutes(components: components).makeRouter(), configuration: http, logger: logger,
            onServerRunning: onServerRunning)
    }
}

/// The assembled server, as ``ServerApplication/buildApplication(configuration:secret:logger:upstreamTimeout:gracefulShutdownSignals:)``
/// returns it: run it, or drive its router without a socket.
public struct ServerApp: Service {
    /// Shared state: store, hubs, registry, fetcher, metrics.
    public let components: ServerComponents
    let http: HTTPServer
    let group: ServiceGroup

    /// The routes, for driving the app without a socket.
    public var router: Router { http.router }

    /// The port it listens on, once it does (port 0 in the configuration picks a free one).
    public var port: Int {
        get async throws { try await http.port }
    }

    /// Serves until a graceful shutdown (a configured signal, or ``triggerGracefulShutdown()``), then tears down:
    /// agent records flushed, upstream fetches stopped, the store closed. The teardown runs when serving throws too.
    public func run() async throws {
        do {
            try await group.run()
        } catch {
            await tearDown()
            throw error
        }
        await tearDown()
    }

    /// Begins a graceful shutdown: open long polls and deploy waits are answered, then the server stops.
    public func triggerGracefulShutdown() async {
        await group.triggerGracefulShutdown()
    }

    /// Releases what the app holds; safe to call when it never ran.
    public func tearDown() async {
        components.hub.shutdown()
        components.runHub.shutdown()
        await components.flushAgents()
        await components.fetcher.shutdown()
        try? await components.store.close()
    }
}

/// Persists agent records and moves rollouts on (silence deadlines, canary soaks) every few seconds; on graceful shutdown answers every open long poll and
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
                    await components.rollouts.tick(now: components.now())
                }
            }
        } onGracefulShutdown: {
            components.hub.shutdown()
            components.runHub.shutdown()
        }
        await components.flushAgents()
    }
}
