import Foundation
import GRDB
import Logging
import PostgresNIO

/// Copies an embedded SQLite store into an empty PostgreSQL database (`prostagma-server migrate-store`): the epoch,
/// counts, releases, runs (in their order), agents, policies and rollouts, in one transaction. Agents notice
/// nothing: the epoch and the counts are the same, so no trigger looks moved and no data looks lost.
public enum StoreMigration {
    /// What was copied.
    public struct Summary: Sendable, Equatable, CustomStringConvertible {
        public var epoch = ""
        public var triggers = 0
        public var releases = 0
        public var runs = 0
        public var agents = 0
        public var policies = 0
        public var rollouts = 0

        public var description: String {
            "epoch \(epoch): \(triggers) triggers, \(releases) releases, \(runs) runs, \(agents) agents, "
                + "\(policies) policies, \(rollouts) rollouts"
        }
    }

    /// The SQLite store's directory for `path`: the data directory itself, or the database file in it.
    public static func sqliteDirectory(_ path: String) throws(ServerError) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .configuration("--from \(path): no such file or directory")
        }
        let directory = isDirectory.boolValue ? path : (path as NSString).deletingLastPathComponent
        let file = (directory as NSString).appendingPathComponent(SQLiteStore.fileName)
        guard FileManager.default.fileExists(atPath: file) else {
            throw .configuration("--from \(path): no SQLite store (\(SQLiteStore.fileName)) there")
        }
        return directory
    }

    /// Copies `source` into `target`, which must hold no triggers, runs or agents yet (a fresh database).
    public static func copy(from source: SQLiteStore, to target: PostgresStore) async throws(ServerError) -> Summary {
        let rows: Rows
        do {
            rows = try await source.pool.read { db in try Rows(db) }
        } catch {
            throw .configuration("cannot read the SQLite store \(source.path): \(error)")
        }
        var summary = Summary(
            epoch: source.epoch, triggers: rows.triggers.count, releases: rows.releases.count, runs: rows.runs.count,
            agents: rows.agents.count, policies: rows.policies.count, rollouts: rows.rollouts.count)
        summary.epoch = source.epoch
        let (logger, epoch, url) = (target.logger, source.epoch, target.url)
        do {
            try await target.client.withTransaction(logger: logger) { connection in
                var existing: Int64 = 0
                for try await count in try await connection.query(
                    """
                    SELECT (SELECT count(*) FROM triggers) + (SELECT count(*) FROM runs) + (SELECT count(*) FROM agents)
                        + (SELECT count(*) FROM releases)
                    """, logger: logger
                ).decode(Int64.self) {
                    existing = count
                }
                guard existing == 0 else {
                    throw ServerError.configuration(
                        "the database \(url) already holds data (\(existing) rows of triggers, runs, agents, releases);"
                            + " migrate into an empty database")
                }
                try await connection.query("UPDATE meta SET value = \(epoch) WHERE key = 'epoch'", logger: logger)
                for row in rows.triggers {
                    try await connection.query(
                        "INSERT INTO triggers (name, count, last_increment) VALUES (\(row.0), \(row.1), \(row.2))",
                        logger: logger)
                }
                for r in rows.releases {
                    try await connection.query(
                        """
                        INSERT INTO releases (trigger, count, params, note, source, requested_by, forge, rollback_of,
                            created_at)
                        VALUES (\(r.trigger), \(r.count), \(r.params), \(r.note), \(r.source), \(r.requestedBy),
                            \(r.forge), \(r.rollbackOf), \(r.createdAt))
                        """, logger: logger)
                }
                for run in rows.runs {
                    try await connection.query(
                        """
                        INSERT INTO runs (id, trigger, agent, count, status, epoch, received_at, report)
                        VALUES (\(run.id), \(run.trigger), \(run.agent), \(run.count), \(run.status), \(run.epoch),
                            \(run.receivedAt), \(run.report))
                        """, logger: logger)
                }
                for agent in rows.agents {
                    try await connection.query(
                        """
                        INSERT INTO agents (name, host, triggers, last_seen, poll_interval, last_run_id)
                        VALUES (\(agent.name), \(agent.host), \(agent.triggers), \(agent.lastSeen.timeIntervalSince1970),
                            \(agent.pollIntervalSeconds), \(agent.lastRunID))
                        """, logger: logger)
                }
                for (trigger, policy, updatedAt) in rows.policies {
                    try await connection.query(
                        "INSERT INTO policies (trigger, policy, updated_at) VALUES (\(trigger), \(policy), \(updatedAt))",
                        logger: logger)
                }
                for (trigger, count, machine) in rows.rollouts {
                    try await connection.query(
                        "INSERT INTO rollouts (trigger, count, machine) VALUES (\(trigger), \(count), \(machine))",
                        logger: logger)
                }
            }
        } catch let error as PostgresTransactionError {
            if let inner = error.closureError as? ServerError { throw inner }
            throw .configuration(
                "the copy into \(url) failed and nothing was written: \(PostgresStore.reason(error, url: url))")
        } catch {
            throw .configuration("the copy into \(url) failed: \(PostgresStore.reason(error, url: url))")
        }
        return summary
    }

    /// Everything read from SQLite, in one read transaction.
    struct Rows: Sendable {
        struct ReleaseRow: Sendable {
            var trigger: String
            var count: Int64
            var params: String
            var note: String?
            var source: String
            var requestedBy: String?
            var forge: String?
            var rollbackOf: Int64?
            var createdAt: Double
        }
        struct RunRow: Sendable {
            var id: String
            var trigger: String
            var agent: String
            var count: Int64
            var status: String
            var epoch: String?
            var receivedAt: Double
            var report: String
        }
        var triggers: [(String, Int64, Double?)] = []
        var releases: [ReleaseRow] = []
        var runs: [RunRow] = []
        var agents: [AgentRecord] = []
        var policies: [(String, String, Double)] = []
        var rollouts: [(String, Int64, String)] = []

        init(_ db: Database) throws {
            for row in try Row.fetchAll(db, sql: "SELECT name, count, last_increment FROM triggers") {
                triggers.append((row["name"], row["count"], row["last_increment"]))
            }
            for row in try Row.fetchAll(db, sql: "SELECT \(SQLiteStore.releaseColumns) FROM releases") {
                releases.append(
                    ReleaseRow(
                        trigger: row["trigger"], count: row["count"], params: row["params"], note: row["note"],
                        source: row["source"], requestedBy: row["requested_by"], forge: row["forge"],
                        rollbackOf: row["rollback_of"], createdAt: row["created_at"]))
            }
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT id, trigger, agent, count, status, json_extract(report, '$.epoch') AS epoch, received_at,
                        report
                    FROM runs ORDER BY seq
                    """)
            {
                runs.append(
                    RunRow(
                        id: row["id"], trigger: row["trigger"], agent: row["agent"], count: row["count"],
                        status: row["status"], epoch: row["epoch"], receivedAt: row["received_at"],
                        report: row["report"]))
            }
            for row in try Row.fetchAll(db, sql: "SELECT * FROM agents ORDER BY name") {
                let text: String = row["triggers"]
                agents.append(
                    AgentRecord(
                        name: row["name"], host: row["host"],
                        triggers: (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? [],
                        lastSeen: Date(timeIntervalSince1970: row["last_seen"]),
                        pollIntervalSeconds: row["poll_interval"],
                        lastRunID: row["last_run_id"]))
            }
            for row in try Row.fetchAll(db, sql: "SELECT trigger, policy, updated_at FROM policies") {
                policies.append((row["trigger"], row["policy"], row["updated_at"]))
            }
            for row in try Row.fetchAll(db, sql: "SELECT trigger, count, machine FROM rollouts") {
                rollouts.append((row["trigger"], row["count"], row["machine"]))
            }
        }
    }
}
