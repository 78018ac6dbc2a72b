import ArgumentParser
import Foundation
import Logging
import ProstagmaProtocol

/// `prostagma-server token create|list|revoke`: named tokens scoped to what they may do, kept hashed in the store.
///
/// It opens the store of the data directory the server uses; the server looks tokens up on every request, so a
/// token works, or stops working, as soon as the command returns, whether the server runs or not.
public struct TokenCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "prostagma-server token",
        abstract: "Manage named tokens: credentials limited to some triggers or to reading.",
        discussion: """
            Scopes: admin (everything), read (runs, agents, releases, status page), trigger:NAME[,NAME...] \
            (increment, roll back and control the rollouts of those triggers), agent:NAME[,NAME...] (watch and \
            report those triggers, fetch artifacts). A token is sent like the shared secret: \
            'Authorization: Bearer <token>', or as the agent's PROSTAGMA_SECRET. See docs/operations.md.
            """,
        subcommands: [Create.self, List.self, Revoke.self])

    public init() {}

    /// Where the store is: the server's data directory, or the PostgreSQL database replicas share.
    public struct Location: ParsableArguments {
        /// Data directory.
        @Option(help: "The server's data directory (PROSTAGMA_DATA, default ./prostagma-data).")
        public var data: String?

        /// PostgreSQL store.
        @Option(
            help:
                "The PostgreSQL database the replicas share (PROSTAGMA_DATABASE_URL); without it, the SQLite store of the data directory."
        )
        public var databaseUrl: String?

        public init() {}

        /// Runs `body` with the store open, and closes it afterwards.
        func withStore<T>(_ body: (any ServerStore) async throws -> T) async throws -> T {
            let store = try await openStore(environment: ProcessInfo.processInfo.environment)
            do {
                let result = try await body(store)
                try await store.close()
                return result
            } catch {
                try? await store.close()
                throw error
            }
        }

        /// Opens the store the server uses: the database of `PROSTAGMA_DATABASE_URL` when set, else SQLite in the data
        /// directory.
        func openStore(environment: [String: String]) async throws -> any ServerStore {
            var overrides = ServerConfiguration.Overrides()
            overrides.data = data
            overrides.databaseURL = databaseUrl
            // The secret does not matter here; a placeholder keeps resolve from asking for one.
            var environment = environment
            environment["PROSTAGMA_SECRET"] = "unused"
            environment["PROSTAGMA_SECRET_FILE"] = nil
            do {
                let configuration = try ServerConfiguration.resolve(overrides, environment: environment)
                if let url = configuration.databaseURL {
                    var logger = Logger(label: "prostagma-server")
                    logger.logLevel = .warning
                    return try await PostgresStore(url: url, logger: logger)
                }
                return try SQLiteStore(directory: configuration.dataDirectory)
            } catch {
                throw ValidationError(error.detail)
            }
        }
    }

    /// `token create NAME --scope SCOPE...`: prints the secret once, on stdout alone.
    public struct Create: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Create a token; its secret is printed once, on standard output.")

        @OptionGroup public var location: Location

        /// The token's name.
        @Argument(help: "The token's name (like a trigger name: A-Z a-z 0-9 . _ -); releases record it.")
        public var name: String

        /// Its scopes.
        @Option(help: "A scope: admin, read, trigger:NAME[,NAME...] or agent:NAME[,NAME...]. Repeat for more.")
        public var scope: [String] = []

        public init() {}

        public func run() async throws {
            let (secret, note) = try await location.withStore { store in
                try await Self.create(name: name, scopes: scope, in: store, now: Date())
            }
            print(secret)
            FileHandle.standardError.write(Data((note + "\n").utf8))
        }

        /// Creates the token; returns its secret and a line for the operator (which never holds the secret).
        static func create(name: String, scopes: [String], in store: any ServerStore, now: Date) async throws -> (
            secret: String, note: String
        ) {
            do throws(ServerError) {
                var parsed: [TokenScope] = []
                for text in scopes { parsed.append(try TokenScope(parsing: text)) }
                let (token, secret) = try AccessToken.generate(name: name, scopes: parsed, now: now)
                try await store.createToken(token)
                return (
                    secret,
                    "created token '\(name)' (\(token.scopeText)); the secret above is shown only this once: "
                        + "the server keeps its SHA-256"
                )
            } catch {
                throw ValidationError(error.detail)
            }
        }
    }

    /// `token list`: names, scopes, created, last used; never a secret (the store has none).
    public struct List: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "List tokens: name, scopes, created, last used.")

        @OptionGroup public var location: Location

        public init() {}

        public func run() async throws {
            print(try await location.withStore { store in try await Self.table(store) }, terminator: "")
        }

        /// The listing, one token a line under a header.
        static func table(_ store: any ServerStore) async throws(ServerError) -> String {
            let tokens = try await store.tokens()
            guard !tokens.isEmpty else { return "no tokens (create one with 'prostagma-server token create')\n" }
            let rows =
                [["NAME", "SCOPES", "CREATED", "LAST USED"]]
                + tokens.map {
                    [
                        $0.name, $0.scopeText, Timestamp.format($0.createdAt),
                        $0.lastUsedAt.map(Timestamp.format) ?? "never",
                    ]
                }
            let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
            return rows.map { row in
                row.enumerated().map { column, text in
                    column == 3 ? text : text.padding(toLength: widths[column] + 2, withPad: " ", startingAt: 0)
                }.joined()
            }.joined(separator: "\n") + "\n"
        }
    }

    /// `token revoke NAME`: the token stops working at once.
    public struct Revoke: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(abstract: "Revoke a token: it stops working at once.")

        @OptionGroup public var location: Location

        /// The token's name.
        @Argument(help: "The name of the token to revoke.")
        public var name: String

        public init() {}

        public func run() async throws {
            guard try await location.withStore({ store in try await store.revokeToken(name: name) }) else {
                throw ValidationError("no token is named '\(name)' ('prostagma-server token list' shows them)")
            }
            print("revoked token '\(name)'")
        }
    }
}
