import Foundation
import GRDB
import ProstagmaProtocol

/// Named tokens (migration `v5-tokens`): name, scopes, the SHA-256 of the secret, created and last used.
extension SQLiteStore {
    /// The `tokens` table; `digest` is unique so a request finds its token by an index lookup.
    static func registerTokenMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v5-tokens") { db in
            try db.execute(
                sql: """
                    CREATE TABLE tokens (
                        name TEXT PRIMARY KEY NOT NULL,
                        digest TEXT NOT NULL UNIQUE,
                        scopes TEXT NOT NULL,
                        created_at REAL NOT NULL,
                        last_used_at REAL
                    ) WITHOUT ROWID
                    """)
        }
    }

    public func createToken(_ token: AccessToken) async throws(ServerError) {
        let exists: Bool
        do {
            exists = try await committer.perform { db -> Bool in
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM tokens WHERE name = ?", arguments: [token.name]) != nil {
                    return true
                }
                try db.execute(
                    sql: "INSERT INTO tokens (name, digest, scopes, created_at) VALUES (?, ?, ?, ?)",
                    arguments: [token.name, token.digest, token.scopeText, token.createdAt.timeIntervalSince1970])
                return false
            }
        } catch {
            throw .unavailable("the token '\(token.name)' was not stored: \(error)")
        }
        if exists {
            throw .conflict("a token named '\(token.name)' exists; revoke it first or choose another name")
        }
    }

    public func token(digest: String) async throws(ServerError) -> AccessToken? {
        do {
            return try await pool.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM tokens WHERE digest = ?", arguments: [digest]).map {
                    try Self.decodeToken($0)
                }
            }
        } catch let error as ServerError {
            throw error
        } catch {
            throw .unavailable("cannot read tokens: \(error)")
        }
    }

    public func tokens() async throws(ServerError) -> [AccessToken] {
        do {
            return try await pool.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM tokens ORDER BY name").map { try Self.decodeToken($0) }
            }
        } catch let error as ServerError {
            throw error
        } catch {
            throw .unavailable("cannot read tokens: \(error)")
        }
    }

    public func revokeToken(name: String) async throws(ServerError) -> Bool {
        do {
            return try await committer.perform { db -> Bool in
                try db.execute(sql: "DELETE FROM tokens WHERE name = ?", arguments: [name])
                return db.changesCount > 0
            }
        } catch {
            throw .unavailable("the token '\(name)' was not revoked: \(error)")
        }
    }

    public func tokenUsed(name: String, at date: Date) async throws(ServerError) {
        do {
            try await committer.perform { db in
                try db.execute(
                    sql: "UPDATE tokens SET last_used_at = ? WHERE name = ?",
                    arguments: [date.timeIntervalSince1970, name])
            }
        } catch {
            throw .unavailable("the last use of token '\(name)' was not stored: \(error)")
        }
    }

    static func decodeToken(_ row: Row) throws(ServerError) -> AccessToken {
        let name: String = row["name"]
        let scopes: [TokenScope]
        do throws(ServerError) {
            scopes = try AccessToken.scopes(parsing: row["scopes"])
        } catch {
            throw .unavailable("the stored scopes of token '\(name)' do not parse: \(error.detail)")
        }
        return AccessToken(
            name: name, scopes: scopes, digest: row["digest"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]),
            lastUsedAt: (row["last_used_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }
}
