import Foundation
import Logging
import PostgresNIO

/// Versioned schema migrations of ``PostgresStore``: applied at start, in order, each in its own transaction, under a
/// session advisory lock so that replicas starting together apply each one once (the second waits, then finds it
/// applied). Applied versions are rows of `schema_migrations`. A migration is never edited once released: a change is
/// a new version.
extension PostgresStore {
    /// One migration: its version, a name for the log, and its statements (one per query: the extended protocol
    /// runs one statement at a time).
    struct Migration: Sendable {
        let version: Int
        let name: String
        let statements: [String]
    }

    /// The key of the advisory lock that serializes migrations ("prostagma" as a number).
    static let migrationLockKey: Int64 = 0x7072_6f73_7461_676d

    /// Every migration, oldest first. Version 1 is the schema SQLite reached with its migrations v1–v4.
    static let migrations: [Migration] = [
        Migration(
            version: 1, name: "initial",
            statements: [
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                """
                CREATE TABLE triggers (
                    name TEXT PRIMARY KEY, count BIGINT NOT NULL, last_increment DOUBLE PRECISION)
                """,
                """
                CREATE TABLE agents (
                    name TEXT PRIMARY KEY, host TEXT, triggers TEXT[] NOT NULL,
                    last_seen DOUBLE PRECISION NOT NULL, poll_interval DOUBLE PRECISION NOT NULL, last_run_id TEXT)
                """,
                """
                CREATE TABLE runs (
                    seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, trigger TEXT NOT NULL, agent TEXT NOT NULL,
                    count BIGINT NOT NULL, status TEXT NOT NULL, epoch TEXT, received_at DOUBLE PRECISION NOT NULL,
                    report TEXT NOT NULL)
                """,
                "CREATE INDEX runs_by_trigger ON runs (trigger, seq)",
                "CREATE INDEX runs_by_trigger_count ON runs (trigger, count, seq)",
                """
                CREATE TABLE releases (
                    trigger TEXT NOT NULL, count BIGINT NOT NULL, params TEXT NOT NULL, note TEXT,
                    source TEXT NOT NULL, requested_by TEXT, forge TEXT, rollback_of BIGINT,
                    created_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (trigger, count))
                """,
                """
                CREATE TABLE policies (
                    trigger TEXT PRIMARY KEY, policy TEXT NOT NULL, updated_at DOUBLE PRECISION NOT NULL)
                """,
                "CREATE TABLE rollouts (trigger TEXT PRIMARY KEY, count BIGINT NOT NULL, machine TEXT NOT NULL)",
                // The epoch: 32 hex digits, as SQLiteStore makes it.
                """
                INSERT INTO meta (key, value) VALUES ('epoch', replace(gen_random_uuid()::text, '-', ''))
                """,
                """
                INSERT INTO meta (key, value)
                VALUES ('created_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
                """,
            ]),
        tokenMigration,
        rolloutRevisionMigration,
    ]

    /// Applies the migrations `client`'s database lacks, holding the advisory lock on one connection throughout.
    static func migrate(client: PostgresClient, logger: Logger, timeout: Duration, url: DatabaseURL) async throws {
        try await bounded(timeout) {
            try await client.withConnection { connection in
                try await connection.query("SELECT pg_advisory_lock(\(migrationLockKey))", logger: logger)
                do {
                    try await applyMissing(connection, logger: logger)
                } catch {
                    _ = try? await connection.query("SELECT pg_advisory_unlock(\(migrationLockKey))", logger: logger)
                    throw error
                }
                try await connection.query("SELECT pg_advisory_unlock(\(migrationLockKey))", logger: logger)
            }
        }
    }

    /// The body of ``migrate(client:logger:timeout:url:)``, under the lock.
    static func applyMissing(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
            """, logger: logger)
        var applied: Set<Int> = []
        for try await version in try await connection.query("SELECT version FROM schema_migrations", logger: logger)
            .decode(Int.self)
        {
            applied.insert(version)
        }
        if let newest = applied.max(), newest > (migrations.last?.version ?? 0) {
            throw ServerError.configuration(
                "the database has schema version \(newest), newer than this server knows (\(migrations.last?.version ?? 0)):"
                    + " upgrade the server")
        }
        for migration in migrations where !applied.contains(migration.version) {
            try await connection.withTransaction(logger: logger) { connection in
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                    logger: logger)
            }
            logger.notice(
                "applied a database migration",
                metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
        }
    }
}
