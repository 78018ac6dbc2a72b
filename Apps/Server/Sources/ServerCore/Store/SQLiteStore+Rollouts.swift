import Foundation
import GRDB
import ProstagmaProtocol

/// Rollout policies and the newest rollout of each trigger (migration `v4-rollouts`).
extension SQLiteStore {
    public func policy(trigger: String) async throws(ServerError) -> RolloutPolicy? {
        do {
            return try await pool.read { db in
                try String.fetchOne(db, sql: "SELECT policy FROM policies WHERE trigger = ?", arguments: [trigger])
                    .map { try JSONDecoder().decode(RolloutPolicy.self, from: Data($0.utf8)) }
            }
        } catch {
            throw .unavailable("cannot read the rollout policy of '\(trigger)': \(error)")
        }
    }

    public func loadPolicies() async throws(ServerError) -> [String: RolloutPolicy] {
        do {
            return try await pool.read { db in
                var policies: [String: RolloutPolicy] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT trigger, policy FROM policies") {
                    let text: String = row["policy"]
                    policies[row["trigger"]] = try JSONDecoder().decode(RolloutPolicy.self, from: Data(text.utf8))
                }
                return policies
            }
        } catch {
            throw .unavailable("cannot read rollout policies: \(error)")
        }
    }

    public func setPolicy(_ policy: RolloutPolicy?, trigger: String, now: Date) async throws(ServerError) {
        let text = try Self.encode(policy)
        do {
            try await committer.perform { db in
                if let text {
                    try db.execute(
                        sql: """
                            INSERT INTO policies (trigger, policy, updated_at) VALUES (?, ?, ?)
                            ON CONFLICT(trigger) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at
                            """, arguments: [trigger, text, now.timeIntervalSince1970])
                } else {
                    try db.execute(sql: "DELETE FROM policies WHERE trigger = ?", arguments: [trigger])
                }
            }
        } catch {
            throw .unavailable("the rollout policy of '\(trigger)' was not stored: \(error)")
        }
    }

    /// A policy as stored: its JSON, nil for none (both stores).
    static func encode(_ policy: RolloutPolicy?) throws(ServerError) -> String? {
        do {
            return try policy.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        } catch {
            throw .unprocessable("the policy cannot be encoded: \(error)")
        }
    }

    public func loadRollouts() async throws(ServerError) -> [RolloutMachine] {
        do {
            return try await pool.read { db in
                try String.fetchAll(db, sql: "SELECT machine FROM rollouts ORDER BY trigger").map {
                    try JSONDecoder().decode(RolloutMachine.self, from: Data($0.utf8))
                }
            }
        } catch {
            throw .unavailable("cannot read rollouts: \(error)")
        }
    }

    public func saveRollout(of trigger: String, current: @escaping @Sendable () -> RolloutMachine?)
        async throws(ServerError)
    {
        do {
            try await committer.perform { db in
                guard let rollout = current() else { return }
                let text = String(decoding: try JSONEncoder().encode(rollout), as: UTF8.self)
                try db.execute(
                    sql: """
                        INSERT INTO rollouts (trigger, count, machine) VALUES (?, ?, ?)
                        ON CONFLICT(trigger) DO UPDATE SET count = excluded.count, machine = excluded.machine
                        """, arguments: [rollout.trigger, rollout.count, text])
            }
        } catch {
            throw .unavailable("the rollout of '\(trigger)' was not stored: \(error)")
        }
    }
}
