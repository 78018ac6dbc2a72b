import Foundation
import GRDB
import ProstagmaProtocol

/// Releases: one row per count, written in the increment's transaction, never changed afterwards.
extension SQLiteStore {
    /// The `releases` table's columns, in the order ``decodeRelease(_:)`` reads them.
    static let releaseColumns =
        "trigger, count, params, note, source, requested_by, forge, rollback_of, created_at"

    public func rollback(
        _ name: String, to target: RollbackRequest.Target, note: String?, requestedBy: String?, now: Date,
        afterCommit: (@Sendable (TriggerState) -> Void)?
    ) async throws(ServerError) -> TriggerState {
        let epoch = self.epoch
        do {
            return try await committer.perform(
                { db in
                    let current =
                        try Int64.fetchOne(db, sql: "SELECT count FROM triggers WHERE name = ?", arguments: [name]) ?? 0
                    let base: Release
                    switch target {
                    case .count(let count):
                        guard let found = try Self.fetchRelease(db, trigger: name, count: count) else {
                            throw ServerError.noRelease(trigger: name, count: count, current: current, field: "to")
                        }
                        base = found
                    case .previous:
                        guard let found = try Self.previousRelease(db, trigger: name, before: current, epoch: epoch)
                        else {
                            throw ServerError.nothingToRollBackTo(trigger: name, current: current)
                        }
                        base = found
                    }
                    let release = NewRelease.rollback(
                        to: base, target: target, note: note, requestedBy: requestedBy)
                    return try Self.applyIncrement(db, name: name, release: release, rollbackOf: base.count, now: now)
                }, afterCommit: afterCommit)
        } catch let error as ServerError {
            throw error
        } catch {
            throw .unavailable("the rollback of '\(name)' was not committed: \(error)")
        }
    }

    public func release(trigger: String, count: Int64) async throws(ServerError) -> Release? {
        let epoch = self.epoch
        do {
            return try await pool.read { db in
                guard var release = try Self.fetchRelease(db, trigger: trigger, count: count) else { return nil }
                release.outcome =
                    try Self.outcomes(db, trigger: trigger, from: count, through: count, epoch: epoch)[count]
                    ?? ReleaseOutcome()
                return release
            }
        } catch {
            throw .unavailable("cannot read release #\(count) of \(trigger): \(error)")
        }
    }

    public func releases(trigger: String, before: Int64?, limit: Int) async throws(ServerError) -> ReleaseList {
        let epoch = self.epoch
        do {
            return try await pool.read { db in
                // One more than asked says whether an older page exists.
                var releases = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT \(Self.releaseColumns) FROM releases WHERE trigger = ? AND count < ?
                        ORDER BY count DESC LIMIT ?
                        """, arguments: [trigger, before ?? Int64.max, limit + 1]
                ).map(Self.decodeRelease)
                let more = releases.count > limit
                if more { releases.removeLast() }
                if let newest = releases.first?.count, let oldest = releases.last?.count {
                    let found = try Self.outcomes(db, trigger: trigger, from: oldest, through: newest, epoch: epoch)
                    for index in releases.indices {
                        releases[index].outcome = found[releases[index].count] ?? ReleaseOutcome()
                    }
                }
                return ReleaseList(releases: releases, nextBefore: more ? releases.last?.count : nil)
            }
        } catch {
            throw .unavailable("cannot read the releases of \(trigger): \(error)")
        }
    }

    public func releases(trigger: String, counts: [Int64]) async throws(ServerError) -> [Int64: Release] {
        guard !counts.isEmpty else { return [:] }
        do {
            return try await pool.read { db in
                var found: [Int64: Release] = [:]
                for chunk in stride(from: 0, to: counts.count, by: 500) {
                    let part = Array(counts[chunk..<min(chunk + 500, counts.count)])
                    let marks = Array(repeating: "?", count: part.count).joined(separator: ", ")
                    var arguments: StatementArguments = [trigger]
                    arguments += StatementArguments(part)
                    let rows = try Row.fetchAll(
                        db,
                        sql: "SELECT \(Self.releaseColumns) FROM releases WHERE trigger = ? AND count IN (\(marks))",
                        arguments: arguments)
                    for release in rows.map(Self.decodeRelease) { found[release.count] = release }
                }
                return found
            }
        } catch {
            throw .unavailable("cannot read the releases of \(trigger): \(error)")
        }
    }

    // MARK: - In a transaction

    /// Adds one to `name`'s count and records its release; the body of every increment and rollback.
    static func applyIncrement(
        _ db: Database, name: String, release: NewRelease, rollbackOf: Int64?, now: Date
    ) throws -> TriggerState {
        try db.execute(
            sql: """
                INSERT INTO triggers (name, count, last_increment) VALUES (?, 1, ?)
                ON CONFLICT(name) DO UPDATE SET count = count + 1, last_increment = excluded.last_increment
                """, arguments: [name, now.timeIntervalSince1970])
        let count = try Int64.fetchOne(db, sql: "SELECT count FROM triggers WHERE name = ?", arguments: [name]) ?? 0
        let stored = Release(
            trigger: name, count: count, params: release.params, note: release.note, source: release.source,
            requestedBy: release.requestedBy, forge: release.forge, rollbackOf: rollbackOf, createdAt: now)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        try db.execute(
            sql: "INSERT INTO releases (\(releaseColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            arguments: [
                name, count, String(decoding: try encoder.encode(stored.params), as: UTF8.self), stored.note,
                stored.source.rawValue, stored.requestedBy,
                try stored.forge.map { String(decoding: try encoder.encode($0), as: UTF8.self) }, rollbackOf,
                now.timeIntervalSince1970,
            ])
        return TriggerState(trigger: name, count: count, lastIncrement: now, release: stored)
    }

    /// One release, without its outcome.
    static func fetchRelease(_ db: Database, trigger: String, count: Int64) throws -> Release? {
        try Row.fetchOne(
            db, sql: "SELECT \(releaseColumns) FROM releases WHERE trigger = ? AND count = ?",
            arguments: [trigger, count]
        ).map(decodeRelease)
    }

    /// The newest release below `before` whose runs all succeeded: at least one agent reported, and every agent's
    /// newest run of it succeeded.
    static func previousRelease(_ db: Database, trigger: String, before: Int64, epoch: String) throws -> Release? {
        guard before > 1 else { return nil }
        let found = try Self.outcomes(db, trigger: trigger, from: 1, through: before - 1, epoch: epoch)
        let good = found.filter { $0.value.succeeded > 0 && $0.value.failed == 0 && $0.value.cancelled == 0 }
        // Newest first; a count without a release (made before releases were recorded) has no params to copy.
        for count in good.keys.sorted(by: >) {
            if let release = try fetchRelease(db, trigger: trigger, count: count) { return release }
        }
        return nil
    }

    /// How the runs of `trigger`'s counts in `from...through` went: each agent's newest run of a count (of this
    /// epoch, or without one, as a deploy wait counts them) counts once. Counts nobody ran are absent.
    static func outcomes(_ db: Database, trigger: String, from: Int64, through: Int64, epoch: String) throws
        -> [Int64: ReleaseOutcome]
    {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT count, status FROM (
                    SELECT count, status, ROW_NUMBER() OVER (PARTITION BY count, agent ORDER BY seq DESC) AS newest
                    FROM runs
                    WHERE trigger = ? AND count BETWEEN ? AND ?
                        AND coalesce(json_extract(report, '$.epoch'), ?) = ?
                ) WHERE newest = 1
                """, arguments: [trigger, from, through, epoch, epoch])
        return tally(rows.map { (count: $0["count"] as Int64, status: $0["status"] as String) })
    }

    /// Outcomes by count from (count, status) pairs, each pair one agent's newest run (both stores).
    static func tally(_ runs: [(count: Int64, status: String)]) -> [Int64: ReleaseOutcome] {
        var outcomes: [Int64: ReleaseOutcome] = [:]
        for (count, status) in runs {
            var outcome = outcomes[count] ?? ReleaseOutcome()
            switch RunStatus(rawValue: status) {
            case .succeeded: outcome.succeeded += 1
            case .failed: outcome.failed += 1
            case .cancelled: outcome.cancelled += 1
            default: continue
            }
            outcomes[count] = outcome
        }
        return outcomes
    }

    /// A `releases` row (``releaseColumns``) as a release. A stored row was written by ``applyIncrement``; a field
    /// that no longer decodes reads as empty rather than failing the whole answer.
    static func decodeRelease(_ row: Row) -> Release {
        let decoder = JSONDecoder()
        let paramsText: String = row["params"]
        let forgeText: String? = row["forge"]
        return Release(
            trigger: row["trigger"], count: row["count"],
            params: (try? decoder.decode([String: String].self, from: Data(paramsText.utf8))) ?? [:],
            note: row["note"], source: ReleaseSource(rawValue: row["source"]), requestedBy: row["requested_by"],
            forge: forgeText.flatMap { try? decoder.decode(ForgePush.self, from: Data($0.utf8)) },
            rollbackOf: row["rollback_of"], createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }
}
