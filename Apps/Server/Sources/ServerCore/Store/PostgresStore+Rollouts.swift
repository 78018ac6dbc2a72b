import Foundation
import PostgresNIO

/// Rollout decisions shared by replicas (docs/decisions.md, "Rollouts across replicas"): each event is applied to
/// the stored machine in a transaction that holds the trigger's rollout lock.
extension PostgresStore: SharedRolloutStore {
    /// Version 3: a revision per rollout row, so replicas order the machines they read.
    static let rolloutRevisionMigration = Migration(
        version: 3, name: "rollout-revisions",
        statements: ["ALTER TABLE rollouts ADD COLUMN revision BIGINT NOT NULL DEFAULT 0"])

    /// Takes the transaction-scoped lock that serializes every write of `trigger`'s rollout, on every replica.
    static func lockRollout(_ connection: PostgresConnection, trigger: String, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext('rollout ' || \(trigger)))", logger: logger)
    }

    static func decodeMachine(_ text: String) throws -> RolloutMachine {
        try JSONDecoder().decode(RolloutMachine.self, from: Data(text.utf8))
    }

    public func updateRollout(
        of trigger: String, fresh: RolloutMachine?,
        _ event: @escaping @Sendable (inout RolloutMachine) throws(ServerError) -> Void
    ) async throws(ServerError) -> RolloutUpdate? {
        let (logger, payload) = (self.logger, "o \(trigger)")
        return try await perform("the rollout of '\(trigger)' was not updated") { client in
            try await client.withTransaction(logger: logger) { connection in
                try await Self.lockRollout(connection, trigger: trigger, logger: logger)
                var stored: StoredRollout?
                for try await (text, revision) in try await connection.query(
                    "SELECT machine, revision FROM rollouts WHERE trigger = \(trigger)", logger: logger
                ).decode((String, Int64).self) {
                    stored = StoredRollout(machine: try Self.decodeMachine(text), revision: revision)
                }
                let before: RolloutMachine
                if let stored, stored.machine.count >= fresh?.count ?? 0 {
                    before = stored.machine
                } else if let fresh {
                    before = fresh
                } else {
                    return nil
                }
                var machine = before
                try event(&machine)
                if let stored, stored.machine.count == machine.count, machine.sameProgress(as: stored.machine) {
                    // Nothing to write: when agents were seen is not progress (docs/decisions.md).
                    return RolloutUpdate(
                        before: before, after: StoredRollout(machine: machine, revision: stored.revision))
                }
                let revision = (stored?.revision ?? 0) + 1
                let text = String(decoding: try JSONEncoder().encode(machine), as: UTF8.self)
                try await connection.query(
                    """
                    INSERT INTO rollouts (trigger, count, machine, revision)
                    VALUES (\(trigger), \(machine.count), \(text), \(revision))
                    ON CONFLICT (trigger) DO UPDATE SET count = excluded.count, machine = excluded.machine,
                        revision = excluded.revision
                    """, logger: logger)
                try await connection.query("SELECT pg_notify(\(Self.channel), \(payload))", logger: logger)
                return RolloutUpdate(before: before, after: StoredRollout(machine: machine, revision: revision))
            }
        }
    }

    public func storedRollout(of trigger: String) async throws(ServerError) -> StoredRollout? {
        try await perform("cannot read the rollout of '\(trigger)'") { client in
            var found: StoredRollout?
            for try await (text, revision) in try await client.query(
                "SELECT machine, revision FROM rollouts WHERE trigger = \(trigger)"
            ).decode((String, Int64).self) {
                found = StoredRollout(machine: try Self.decodeMachine(text), revision: revision)
            }
            return found
        }
    }

    public func storedRollouts() async throws(ServerError) -> [StoredRollout] {
        try await perform("cannot read rollouts") { client in
            var found: [StoredRollout] = []
            for try await (text, revision) in try await client.query(
                "SELECT machine, revision FROM rollouts ORDER BY trigger"
            ).decode((String, Int64).self) {
                found.append(StoredRollout(machine: try Self.decodeMachine(text), revision: revision))
            }
            return found
        }
    }
}
