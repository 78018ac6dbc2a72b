import Foundation
import PostgresNIO

/// Named tokens in PostgreSQL (migration 2): the same table and rules as ``SQLiteStore``'s `v5-tokens`, so a token
/// made on one replica (or with `prostagma-server token create` against the database) works on every replica at its
/// next request: tokens are read from the database on each request, never cached.
extension PostgresStore {
    static let tokenMigration = Migration(
        version: 2, name: "tokens",
        statements: [
            """
            CREATE TABLE tokens (
                name TEXT PRIMARY KEY, digest TEXT NOT NULL UNIQUE, scopes TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL, last_used_at DOUBLE PRECISION)
            """
        ])

    public func createToken(_ token: AccessToken) async throws(ServerError) {
        let (name, digest, scopes, created) = (
            token.name, token.digest, token.scopeText, token.createdAt.timeIntervalSince1970
        )
        let inserted = try await perform("the token '\(name)' was not stored") { client -> Bool in
            var rows = 0
            for try await _ in try await client.query(
                """
                INSERT INTO tokens (name, digest, scopes, created_at) VALUES (\(name), \(digest), \(scopes), \(created))
                ON CONFLICT DO NOTHING RETURNING name
                """
            ) { rows += 1 }
            return rows > 0
        }
        if !inserted {
            throw .conflict("a token named '\(name)' exists; revoke it first or choose another name")
        }
    }

    public func token(digest: String) async throws(ServerError) -> AccessToken? {
        try await fetchTokens("cannot read tokens") { client in
            try await client.query(
                """
                SELECT name, digest, scopes, created_at, last_used_at FROM tokens WHERE digest = \(digest)
                """)
        }.first
    }

    public func tokens() async throws(ServerError) -> [AccessToken] {
        try await fetchTokens("cannot read tokens") { client in
            try await client.query(
                "SELECT name, digest, scopes, created_at, last_used_at FROM tokens ORDER BY name")
        }
    }

    public func revokeToken(name: String) async throws(ServerError) -> Bool {
        try await perform("the token '\(name)' was not revoked") { client -> Bool in
            var rows = 0
            for try await _ in try await client.query("DELETE FROM tokens WHERE name = \(name) RETURNING name") {
                rows += 1
            }
            return rows > 0
        }
    }

    public func tokenUsed(name: String, at date: Date) async throws(ServerError) {
        let time = date.timeIntervalSince1970
        try await perform("the last use of token '\(name)' was not stored") { client in
            try await client.query("UPDATE tokens SET last_used_at = \(time) WHERE name = \(name)")
        }
    }

    private func fetchTokens(
        _ what: String, _ query: @escaping @Sendable (PostgresClient) async throws -> PostgresRowSequence
    ) async throws(ServerError) -> [AccessToken] {
        let rows = try await perform(what) { client in
            var rows: [(String, String, String, Double, Double?)] = []
            for try await row in try await query(client).decode((String, String, String, Double, Double?).self) {
                rows.append(row)
            }
            return rows
        }
        var tokens: [AccessToken] = []
        for (name, digest, scopeText, created, lastUsed) in rows {
            let scopes: [TokenScope]
            do throws(ServerError) {
                scopes = try AccessToken.scopes(parsing: scopeText)
            } catch {
                throw .unavailable("the stored scopes of token '\(name)' do not parse: \(error.detail)")
            }
            tokens.append(
                AccessToken(
                    name: name, scopes: scopes, digest: digest, createdAt: Date(timeIntervalSince1970: created),
                    lastUsedAt: lastUsed.map(Date.init(timeIntervalSince1970:))))
        }
        return tokens
    }
}
