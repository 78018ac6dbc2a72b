import Foundation
import GRDB
import Logging
import ProstagmaProtocol

/// The server's durable state in SQLite (WAL) under the data directory: the epoch, trigger counts and their
/// releases, agents and runs. The embedded ``ServerStore``, used unless a database URL is configured.
///
/// Durability: the database runs in WAL mode with `synchronous=FULL`, so a commit returns only after
/// its WAL frames are fsynced. `NORMAL` (the usual WAL choice) survives a process kill but may lose the
/// newest commits on power loss; "an increment answered 200 is committed" must hold across power
/// loss, hence `FULL`, with group commit (``GroupCommitter``) paying one fsync for many increments.
public final class SQLiteStore: ServerStore {
    /// The database file's name inside the data directory.
    public static let fileName = "prostagma.sqlite"
    /// Runs kept; older ones are deleted when newer ones arrive.
    public static let defaultRunRetention = 10_000

    /// Random id made when the database was created; agents compare it to notice lost data.
    public let epoch: String
    /// Where the database lives.
    public let path: String
    let pool: DatabasePool
    let committer: GroupCommitter
    /// Checkpoints the WAL after batches are answered (commits never do).
    var checkpointer: WALCheckpointer { committer.checkpointer }
    private let runRetention: Int

    /// Committed batches between WAL checkpoints while the writer is idle (``WALCheckpointer``): about SQLite's own
    /// 1,000-frame default at a few pages per increment, in smaller steps.
    public static let checkpointEvery = 100

    /// Opens (creating and migrating as needed) the database in `directory`.
    ///
    /// `checkpointEvery` nil leaves the WAL unchecked until the store closes (for tests); `checkpointInterval` is the
    /// longest a committed batch waits for its checkpoint while the writer is idle. `logger` gets what the store
    /// does on its own (a failed checkpoint).
    public init(
        directory: String, runRetention: Int = SQLiteStore.defaultRunRetention,
        checkpointEvery: Int? = SQLiteStore.checkpointEvery, checkpointInterval: Duration = .seconds(1),
        logger: Logger = Logger(label: "prostagma.store")
    ) throws(ServerError) {
        try Self.makePrivateDirectory(directory)
        path = (directory as NSString).appendingPathComponent(Self.fileName)
        // SQLite creates the database with the umask's mode (often 0644) and gives the -wal and -shm files the
        // database's mode: made 0600 first, none of them is readable by other users.
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw .configuration("cannot create the database \(path): \(String(cString: strerror(errno)))")
        }
        closeDescriptor(fd)
        var configuration = Configuration()
        configuration.label = "prostagma"
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // Opening a pool switches to WAL and sets synchronous=NORMAL on the writer; writes go through that
            // one writer connection, so setting FULL on it afterwards governs every commit.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                // No commit checkpoints: the one crossing SQLite's 1,000-frame threshold would copy the WAL into
                // the database and fsync it before answering (WALCheckpointer does it once batches are answered).
                try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            }
            try Self.migrator.migrate(pool)
            epoch =
                try pool.read { db in
                    try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'epoch'")
                } ?? ""
        } catch {
            throw .configuration("cannot open the database \(path): \(error)")
        }
        committer = GroupCommitter(
            writer: pool,
            checkpointer: WALCheckpointer(
                every: checkpointEvery, interval: checkpointInterval, path: path, logger: logger))
        self.runRetention = runRetention
    }

    /// Creates `directory` (and missing parents) 0700: it holds run logs, the database and cached artifacts. An
    /// existing directory keeps its mode (an operator may have chosen it).
    static func makePrivateDirectory(_ directory: String) throws(ServerError) {
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .configuration("cannot create the data directory \(directory): \(error.localizedDescription)")
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                    CREATE TABLE triggers (
                        name TEXT PRIMARY KEY NOT NULL,
                        count INTEGER NOT NULL,
                        last_increment REAL
                    );
                    CREATE TABLE agents (
                        name TEXT PRIMARY KEY NOT NULL,
                        host TEXT,
                        triggers TEXT NOT NULL,
                        last_seen REAL NOT NULL,
                        poll_interval REAL NOT NULL,
                        last_run_id TEXT
                    );
                    CREATE TABLE runs (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        id TEXT NOT NULL UNIQUE,
                        trigger TEXT NOT NULL,
                        agent TEXT NOT NULL,
                        count INTEGER NOT NULL,
                        status TEXT NOT NULL,
                        received_at REAL NOT NULL,
                        report TEXT NOT NULL
                    );
                    CREATE INDEX runs_by_trigger ON runs (trigger, seq);
                    """)
            let epoch = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('epoch', ?)", arguments: [epoch])
            try db.execute(
                sql: "INSERT INTO meta (key, value) VALUES ('created_at', ?)", arguments: [Timestamp.format(Date())])
        }
        // A deploy wait reads the reports of one count; without this index it scanned the trigger's newest 1,000.
        migrator.registerMigration("v2-runs-by-count") { db in
            try db.execute(sql: "CREATE INDEX runs_by_trigger_count ON runs (trigger, count, seq)")
        }
        // One immutable row per count, written in the increment's transaction. Counts made before this migration
        // have none: they were bare increments, and nothing recorded what they deployed.
        migrator.registerMigration("v3-releases") { db in
            try db.execute(
                sql: """
                    CREATE TABLE releases (
                        trigger TEXT NOT NULL,
                        count INTEGER NOT NULL,
                        params TEXT NOT NULL,
                        note TEXT,
                        source TEXT NOT NULL,
                        requested_by TEXT,
                        forge TEXT,
                        rollback_of INTEGER,
                        created_at REAL NOT NULL,
                        PRIMARY KEY (trigger, count)
                    ) WITHOUT ROWID
                    """)
        }
        // A trigger's rollout policy, and the state machine of its newest rollout as JSON (what
        // RolloutMachine encodes): enough to carry on after a restart without admitting anyone twice.
        migrator.registerMigration("v4-rollouts") { db in
            try db.execute(
                sql: """
                    CREATE TABLE policies (
                        trigger TEXT PRIMARY KEY NOT NULL,
                        policy TEXT NOT NULL,
                        updated_at REAL NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE rollouts (
                        trigger TEXT PRIMARY KEY NOT NULL,
                        count INTEGER NOT NULL,
                        machine TEXT NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        registerTokenMigration(&migrator)
        return migrator
    }

    /// Every trigger's committed state, with the release of its current count where it has one.
    public func loadTriggers() async throws(ServerError) -> [TriggerState] {
        do {
            return try await pool.read { db in
                var releases: [String: Release] = [:]
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT \(Self.releaseColumns) FROM releases
                        WHERE (trigger, count) IN (SELECT name, count FROM triggers)
                        """)
                for release in rows.map(Self.decodeRelease) { releases[release.trigger] = release }
                return try Row.fetchAll(db, sql: "SELECT name, count, last_increment FROM triggers ORDER BY name").map {
                    let name: String = $0["name"]
                    return TriggerState(
                        trigger: name, count: $0["count"],
                        lastIncrement: ($0["last_increment"] as Double?).map(Date.init(timeIntervalSince1970:)),
                        release: releases[name])
                }
            }
        } catch {
            throw .unavailable("cannot read triggers: \(error)")
        }
    }

    /// Increments `name` and records its release in the same transaction; returns the new state once both are
    /// durable. `afterCommit` runs in commit order before the caller resumes (the hub publishes from it).
    public func increment(
        _ name: String, release: NewRelease, now: Date, afterCommit: (@Sendable (TriggerState) -> Void)?
    ) async throws(ServerError) -> TriggerState {
        do {
            return try await committer.perform(
                { db in try Self.applyIncrement(db, name: name, release: release, rollbackOf: nil, now: now) },
                afterCommit: afterCommit)
        } catch let error as ServerError {
            throw error
        } catch {
            throw .unavailable("the increment of '\(name)' was not committed: \(error)")
        }
    }

    /// Stores a validated run (replacing one with the same id), trims old runs, and returns its id.
    public func insertRun(_ report: RunReport, receivedAt: Date) async throws(ServerError) -> RunReport {
        let (stored, json) = try Self.identified(report)
        let retention = runRetention
        do {
            try await committer.perform { db in
                try db.execute(
                    sql: """
                        INSERT INTO runs (id, trigger, agent, count, status, received_at, report)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT(id) DO UPDATE SET trigger = excluded.trigger, agent = excluded.agent,
                            count = excluded.count, status = excluded.status, report = excluded.report
                        """,
                    arguments: [
                        stored.id, stored.trigger, stored.agent, stored.count, stored.status.rawValue,
                        receivedAt.timeIntervalSince1970, json,
                    ])
                try db.execute(
                    sql: """
                        DELETE FROM runs WHERE seq <= (SELECT seq FROM runs ORDER BY seq DESC LIMIT 1 OFFSET ?)
                        """, arguments: [retention])
            }
        } catch {
            throw .unavailable("the run was not stored: \(error)")
        }
        return stored
    }

    /// Reports, newest first, optionally of one trigger. Decoded on GRDB's reader queue, off the cooperative pool.
    public func runs(trigger: String?, limit: Int) async throws(ServerError) -> [RunReport] {
        do {
            return try await pool.read { db in
                let texts: [String]
                if let trigger {
                    texts = try String.fetchAll(
                        db, sql: "SELECT report FROM runs WHERE trigger = ? ORDER BY seq DESC LIMIT ?",
                        arguments: [trigger, limit])
                } else {
                    texts = try String.fetchAll(
                        db, sql: "SELECT report FROM runs ORDER BY seq DESC LIMIT ?", arguments: [limit])
                }
                return Self.decodeReports(texts)
            }
        } catch {
            throw .unavailable("cannot read runs: \(error)")
        }
    }

    public func latestRuns(trigger: String, count: Int64, epoch: String) async throws(ServerError)
        -> [String: RunReport]
    {
        do {
            return try await pool.read { db in
                let texts = try String.fetchAll(
                    db, sql: "SELECT report FROM runs WHERE trigger = ? AND count = ? ORDER BY seq DESC",
                    arguments: [trigger, count])
                return Self.newestPerAgent(Self.decodeReports(texts), epoch: epoch)
            }
        } catch {
            throw .unavailable("cannot read the runs of \(trigger) #\(count): \(error)")
        }
    }

    public func runs(ids: [String]) async throws(ServerError) -> [String: RunReport] {
        guard !ids.isEmpty else { return [:] }
        do {
            return try await pool.read { db in
                var found: [String: RunReport] = [:]
                // SQLite binds at most 32,766 parameters; agents are far fewer, but stay well inside it.
                for chunk in stride(from: 0, to: ids.count, by: 500) {
                    let part = Array(ids[chunk..<min(chunk + 500, ids.count)])
                    let marks = Array(repeating: "?", count: part.count).joined(separator: ", ")
                    let texts = try String.fetchAll(
                        db, sql: "SELECT report FROM runs WHERE id IN (\(marks))", arguments: StatementArguments(part))
                    for run in Self.decodeReports(texts) { if let id = run.id { found[id] = run } }
                }
                return found
            }
        } catch {
            throw .unavailable("cannot read runs: \(error)")
        }
    }

    /// `report` with an id (a new one when it has none), and its JSON as stored (both stores).
    static func identified(_ report: RunReport) throws(ServerError) -> (RunReport, String) {
        var report = report
        if report.id == nil { report.id = UUID().uuidString.lowercased() }
        do {
            return (report, String(decoding: try JSONEncoder().encode(report), as: UTF8.self))
        } catch {
            throw .unprocessable("the run cannot be encoded: \(error)")
        }
    }

    /// The first report of each agent in `reports` (newest first) of `epoch` or without one: what a deploy wait
    /// counts (both stores).
    static func newestPerAgent(_ reports: [RunReport], epoch: String) -> [String: RunReport] {
        var newest: [String: RunReport] = [:]
        for run in reports where run.epoch == nil || run.epoch == epoch {
            if newest[run.agent] == nil { newest[run.agent] = run }
        }
        return newest
    }

    /// Stored reports were validated on the way in; one that no longer decodes (written by a future version) is
    /// left out rather than failing the whole answer.
    static func decodeReports(_ texts: [String]) -> [RunReport] {
        let decoder = JSONDecoder()
        return texts.compactMap { try? decoder.decode(RunReport.self, from: Data($0.utf8)) }
    }

    /// Writes (inserts or replaces) agent records.
    public func saveAgents(_ agents: [AgentRecord]) async throws(ServerError) {
        guard !agents.isEmpty else { return }
        do {
            try await committer.perform { db in
                for agent in agents {
                    let triggers = String(decoding: try JSONEncoder().encode(agent.triggers), as: UTF8.self)
                    try db.execute(
                        sql: """
                            INSERT OR REPLACE INTO agents (name, host, triggers, last_seen, poll_interval, last_run_id)
                            VALUES (?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [
                            agent.name, agent.host, triggers, agent.lastSeen.timeIntervalSince1970,
                            agent.pollIntervalSeconds, agent.lastRunID,
                        ])
                }
            }
        } catch {
            throw .unavailable("agents were not stored: \(error)")
        }
    }

    /// Every stored agent.
    public func loadAgents() async throws(ServerError) -> [AgentRecord] {
        do {
            return try await pool.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM agents ORDER BY name").map { row in
                    let triggersText: String = row["triggers"]
                    let triggers = (try? JSONDecoder().decode([String].self, from: Data(triggersText.utf8))) ?? []
                    return AgentRecord(
                        name: row["name"], host: row["host"], triggers: triggers,
                        lastSeen: Date(timeIntervalSince1970: row["last_seen"]),
                        pollIntervalSeconds: row["poll_interval"],
                        lastRunID: row["last_run_id"])
                }
            }
        } catch {
            throw .unavailable("cannot read agents: \(error)")
        }
    }

    /// The `PRAGMA synchronous`, `journal_mode` and `wal_autocheckpoint` of the connection that commits (for tests
    /// and `--help` diagnostics).
    public func durabilitySettings() throws -> (journalMode: String, synchronous: Int, autoCheckpoint: Int) {
        try pool.write { db in
            (
                try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "",
                try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1,
                try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") ?? -1
            )
        }
    }

    /// Closes the database (at shutdown); later calls fail.
    public func close() async throws {
        try pool.close()
    }
}

/// `close(2)`, out of reach of `SQLiteStore.close()`.
private func closeDescriptor(_ fd: Int32) {
    close(fd)
}
