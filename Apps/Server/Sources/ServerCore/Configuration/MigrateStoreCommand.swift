import ArgumentParser
import Foundation
import Logging

/// `prostagma-server migrate-store --from PATH --to URL`: copies the embedded SQLite store into an empty PostgreSQL
/// database, so the server can run as replicas on it. Run it with the server stopped; agents notice nothing.
public struct MigrateStoreCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "prostagma-server migrate-store",
        abstract: "Copy the SQLite store into an empty PostgreSQL database (docs/operations.md).",
        discussion: """
            Copies the epoch, trigger counts, releases, runs, agents, rollout policies and rollouts in one
            transaction; the schema is made first. Agents see the same epoch and counts afterwards. Stop the server
            first, then start it (or its replicas) with PROSTAGMA_DATABASE_URL.
            """)

    /// The data directory (or its prostagma.sqlite).
    @Option(help: "The SQLite store: the data directory, or its prostagma.sqlite file.")
    public var from: String

    /// The target.
    @Option(
        help:
            "The PostgreSQL URL postgres://user:password@host:port/db (default: PROSTAGMA_DATABASE_URL, which keeps the password out of `ps`)."
    )
    public var to: String?

    public init() {}

    public func run() async throws {
        var logger = Logger(label: "prostagma-server")
        logger.logLevel = .warning
        guard let text = to ?? ProcessInfo.processInfo.environment["PROSTAGMA_DATABASE_URL"], !text.isEmpty else {
            throw ValidationError("say where to copy to: --to postgres://... or PROSTAGMA_DATABASE_URL")
        }
        // Errors are ServerErrors whose text names what and where (the password elided); printed as they are.
        let url = try DatabaseURL(parsing: text)
        let source = try SQLiteStore(directory: try StoreMigration.sqliteDirectory(from))
        let target = try await PostgresStore(url: url, logger: logger)
        let summary: StoreMigration.Summary
        do {
            summary = try await StoreMigration.copy(from: source, to: target)
        } catch {
            try? await target.close()
            throw error
        }
        try await target.close()
        try await source.close()
        print("prostagma-server: copied \(summary) into \(url)")
    }
}
