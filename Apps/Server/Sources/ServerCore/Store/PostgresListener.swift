import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Keeps one replica in step with the others through the shared database: one dedicated connection (not from the
/// pool, never through a transaction-pooling proxy) LISTENs on ``PostgresStore/channel``; each notification names a
/// change, whose row is then read (``ServerComponents/handleNotification(_:)``).
///
/// After each (re)connect the LISTEN is issued first and state re-read second, so a change committed in between is
/// either notified or read. State is also re-read every ``resyncInterval`` in case a notification was lost. The
/// connection is checked with `SELECT 1` every ``healthCheckInterval``; a failed check or a closed connection
/// reconnects with back-off (0.5 s doubling to 5 s).
public struct PostgresListener: Service {
    /// How often state is re-read even when notifications arrive (docs/operations.md).
    public static let resyncInterval: Duration = .seconds(10)
    /// How often the LISTEN connection is checked.
    public static let healthCheckInterval: Duration = .seconds(3)

    let store: PostgresStore
    let components: ServerComponents

    /// Creates the listener of `components`' shared store.
    public init(store: PostgresStore, components: ServerComponents) {
        self.store = store
        self.components = components
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await listenLoop() }
                group.addTask { await resyncLoop() }
                await group.waitForAll()
            }
        }
    }

    /// Connects, listens and reconnects until cancelled.
    func listenLoop() async {
        let logger = components.logger
        var quiet = logger
        quiet.logLevel = .critical
        var delay: Duration = .milliseconds(500)
        var connectionID = 0
        var lost = false
        while !Task.isCancelled {
            connectionID += 1
            do {
                let configuration = try store.connectionConfiguration()
                let (id, log) = (connectionID, quiet)
                let connection = try await PostgresStore.bounded(.seconds(10)) {
                    try await PostgresConnection.connect(configuration: configuration, id: id, logger: log)
                }
                do {
                    try await listen(connection, lost: &lost, delay: &delay, quiet: quiet)
                } catch {
                    try? await connection.close()
                    throw error
                }
            } catch {
                if Task.isCancelled { return }
                if !lost {
                    logger.warning(
                        "database notifications lost; reconnecting",
                        metadata: [
                            "database": "\(store.url)", "reason": "\(PostgresStore.reason(error, url: store.url))",
                        ])
                    lost = true
                }
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }

    /// LISTENs on `connection`, re-reads state, then handles notifications until the connection fails a check or
    /// closes (always by throwing).
    private func listen(_ connection: PostgresConnection, lost: inout Bool, delay: inout Duration, quiet: Logger)
        async throws
    {
        let logger = components.logger
        try await connection.listen(on: PostgresStore.channel) { notifications in
            // LISTEN is in force here: anything committed from now on is notified, so read what came before.
            try await components.resync()
            if lost {
                logger.notice("database notifications restored", metadata: ["database": "\(store.url)"])
                lost = false
            }
            delay = .milliseconds(500)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await notification in notifications {
                        do {
                            try await components.handleNotification(notification.payload)
                        } catch {
                            logger.debug("a notification could not be handled", metadata: ["error": "\(error)"])
                        }
                    }
                    throw PostgresStore.Timeout(after: .zero)
                }
                group.addTask {
                    while true {
                        try await Task.sleep(for: Self.healthCheckInterval)
                        try await PostgresStore.bounded(.seconds(5)) {
                            _ = try await connection.query("SELECT 1", logger: quiet)
                            return ()
                        }
                    }
                }
                defer { group.cancelAll() }
                _ = try await group.next()
            }
        }
    }

    /// Re-reads state every ``resyncInterval``.
    func resyncLoop() async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: Self.resyncInterval)
                try await components.resync()
            } catch is CancellationError {
                return
            } catch {
                components.logger.debug("periodic re-read failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
