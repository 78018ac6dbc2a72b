import ArgumentParser
import Foundation

/// The `prostagma-server` command line: flags over the original environment variables.
public struct ServerCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "prostagma-server",
        abstract: "Prostagma server: durable triggers, long polls, an artifact cache for agents.",
        discussion: """
            Every flag can also be set by the environment variable named in its help (flags win).
            With no secret configured, a random one is generated into <data>/secret (mode 0600)
            and printed once. See docs/server.md. `prostagma-server token` manages named tokens.
            With PROSTAGMA_DATABASE_URL, replicas share a PostgreSQL database (docs/operations.md);
            `prostagma-server migrate-store --from DATA` copies a SQLite store into one.
            """,
        version: prostagmaVersion
    )

    /// The original tool's verb: it ran as `prostagma server`, so a unit or container command taken from its
    /// README needs only the binary's name changed.
    @Argument(help: "Optional: `server`, as in the original tool's `prostagma server`. It changes nothing.")
    public var verb: String?

    /// Listen address.
    @Option(help: "Listen address host:port (PROSTAGMA_HOST, default 127.0.0.1:6969).")
    public var host: String?

    /// Shared secret.
    @Option(help: "Shared secret (PROSTAGMA_SECRET). Visible in `ps`; prefer --secret-file.")
    public var secret: String?

    /// Secret file.
    @Option(help: "File holding the shared secret (PROSTAGMA_SECRET_FILE).")
    public var secretFile: String?

    /// aws CLI.
    @Option(help: "Path of the aws CLI for s3:// URLs (PROSTAGMA_AWS, default: found on PATH).")
    public var aws: String?

    /// Data directory.
    @Option(
        help: "Data directory: database, artifact cache, generated secret (PROSTAGMA_DATA, default ./prostagma-data).")
    public var data: String?

    /// Cache budget.
    @Option(help: "Artifact cache budget, e.g. 2GiB (PROSTAGMA_CACHE_MAX_BYTES, default 2GiB).")
    public var cacheMaxBytes: String?

    /// URL allow-list.
    @Option(help: "Comma-separated URL prefixes downloads must start with (PROSTAGMA_ALLOWED_URLS; default: any).")
    public var allowedUrls: String?

    /// Networks fetches may not reach.
    @Option(
        help:
            "Comma-separated networks artifact fetches may not connect to: CIDRs or link-local, metadata, loopback, private, none (PROSTAGMA_DENIED_NETWORKS, default link-local,metadata)."
    )
    public var deniedNetworks: String?

    /// TLS certificate.
    @Option(help: "PEM certificate chain for HTTPS (PROSTAGMA_TLS_CERT).")
    public var tlsCert: String?

    /// TLS key.
    @Option(help: "PEM private key for HTTPS (PROSTAGMA_TLS_KEY).")
    public var tlsKey: String?

    /// Log format.
    @Option(help: "Log format: text or json (PROSTAGMA_LOG_FORMAT, default text).")
    public var logFormat: String?

    /// Configuration file.
    @Option(help: "YAML configuration file, e.g. rollout policies per trigger (PROSTAGMA_CONFIG).")
    public var config: String?

    /// PostgreSQL store.
    @Option(
        help:
            "PostgreSQL URL postgres://user:password@host:port/db[?sslmode=require] shared by replicas (PROSTAGMA_DATABASE_URL; default: SQLite in the data directory). Visible in `ps`; prefer the variable."
    )
    public var databaseUrl: String?

    public init() {}

    /// Parses the command line: `token ...` is ``TokenCommand``, anything else the server. (Not an ArgumentParser
    /// subcommand: the optional `server` verb, a positional argument, would take `token` first.)
    public static func parseCommand(_ arguments: [String]) throws -> any AsyncParsableCommand {
        if arguments.first == "token" {
            return try TokenCommand.parseAsRoot(Array(arguments.dropFirst())) as? any AsyncParsableCommand
                ?? TokenCommand()
        }
        return try parse(arguments)
    }

    /// Parses the command line and runs what it names; on an error prints its message and exits non-zero.
    public static func parseAndRun(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) async {
        if arguments.first == "token" {
            // ArgumentParser's own entry point: help and errors name the subcommand they are about.
            await TokenCommand.main(Array(arguments.dropFirst()))
            return
        }
        if arguments.first == "migrate-store" {
            // A command of its own, as `token` is: the server's flags take an optional verb (`server`), which a
            // subcommand tree would not leave free.
            await MigrateStoreCommand.main(Array(arguments.dropFirst()))
            return
        }
        do {
            var command = try parseCommand(arguments)
            try await command.run()
        } catch {
            exit(withError: error)
        }
    }

    /// Refuses a verb other than `server`, saying where the original's `client` went.
    public func validate() throws {
        switch verb {
        case nil, "server":
            return
        case "client":
            throw ValidationError(
                "`client` is not a verb of prostagma-server: the original's `prostagma client` is `prostagma-agent`"
                    + " (`prostagma-agent client` works too)")
        case let other?:
            throw ValidationError(
                "unexpected argument '\(other)': prostagma-server takes no argument, or `server` as the original's"
                    + " `prostagma server` did")
        }
    }

    /// The flags as configuration overrides.
    public var overrides: ServerConfiguration.Overrides {
        var overrides = ServerConfiguration.Overrides()
        overrides.host = host
        overrides.secret = secret
        overrides.secretFile = secretFile
        overrides.aws = aws
        overrides.data = data
        overrides.cacheMaxBytes = cacheMaxBytes
        overrides.allowedURLs = allowedUrls
        overrides.deniedNetworks = deniedNetworks
        overrides.tlsCert = tlsCert
        overrides.tlsKey = tlsKey
        overrides.logFormat = logFormat
        overrides.config = config
        overrides.databaseURL = databaseUrl
        return overrides
    }

    public func run() async throws {
        let configuration: ServerConfiguration
        do {
            configuration = try ServerConfiguration.resolve(overrides, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.detail)
        }
        try await ServerApplication.run(configuration: configuration)
    }
}

/// The version printed by `--version`.
public let prostagmaVersion = "0.1.0"
