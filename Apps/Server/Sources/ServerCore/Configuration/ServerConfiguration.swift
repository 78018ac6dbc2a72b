import Foundation

/// Everything the server needs to start, resolved from flags and the original environment variables
/// (flags win). Pure: reading a secret file or generating a secret happens in ``SecretResolver``.
public struct ServerConfiguration: Sendable, CustomStringConvertible {
    /// Log line format.
    public enum LogFormat: String, Sendable, CaseIterable {
        /// `2026-11-25T10:00:00Z info message key=value`.
        case text
        /// One JSON object per line.
        case json
    }

    /// Where the secret comes from.
    public enum SecretSource: Sendable, Equatable {
        /// Given directly (flag or `PROSTAGMA_SECRET`).
        case value(String)
        /// Read from a file (flag or `PROSTAGMA_SECRET_FILE`); surrounding whitespace trimmed.
        case file(String)
        /// None configured: generated once and kept in the data directory.
        case generated
    }

    /// Listen host (name or address).
    public var host: String = "127.0.0.1"
    /// Listen port; 0 picks a free one.
    public var port: Int = 6969
    /// Where the secret comes from.
    public var secretSource: SecretSource = .generated
    /// Path of the aws CLI (`PROSTAGMA_AWS`); `nil` searches `PATH`.
    public var awsPath: String?
    /// Data directory for the database, the artifact cache and the generated secret.
    public var dataDirectory: String = "./prostagma-data"
    /// Byte budget of the artifact cache.
    public var cacheMaxBytes: Int64 = 2 << 30
    /// Allowed URL prefixes for downloads; empty allows every http/https/s3 URL.
    public var allowedURLPrefixes: [String] = []
    /// Addresses artifact fetches may not connect to (`PROSTAGMA_DENIED_NETWORKS`).
    public var deniedNetworks: AddressPolicy = .default
    /// PEM certificate chain for HTTPS.
    public var tlsCertificatePath: String?
    /// PEM private key for HTTPS.
    public var tlsKeyPath: String?
    /// Log format.
    public var logFormat: LogFormat = .text
    /// Time a request body may take before the minimum rate applies (docs/decisions.md).
    public var bodyReadTimeout: Duration = .seconds(20)
    /// Bytes per second a request body must average after ``bodyReadTimeout``.
    public var minimumBodyRate = 500
    /// The configuration file (`PROSTAGMA_CONFIG`, `--config`): YAML whose `policies` section sets triggers' rollout
    /// policies (``ServerConfigurationFile``). Read at start, when the components are built.
    public var configFile: String?

    /// The PostgreSQL database replicas share (`PROSTAGMA_DATABASE_URL`); nil keeps the embedded SQLite store.
    public var databaseURL: DatabaseURL?

    /// Creates the default configuration.
    public init() {}

    public var description: String {
        let secret: String
        switch secretSource {
        case .value: secret = "<given>"
        case .file(let path): secret = "file \(path)"
        case .generated: secret = "<generated in data directory>"
        }
        return "listen=\(host):\(port) data=\(dataDirectory) secret=\(secret) cache_max_bytes=\(cacheMaxBytes) "
            + "allowed_urls=\(allowedURLPrefixes.isEmpty ? "any" : allowedURLPrefixes.joined(separator: ","))"
            + " denied_networks=\(deniedNetworks)"
            + " tls=\(tlsCertificatePath != nil ? "on" : "off") log_format=\(logFormat.rawValue)"
            + (configFile.map { " config=\($0)" } ?? "")
            + " store=\(databaseURL.map { "\($0)" } ?? "sqlite")"
    }

    /// Flag values; `nil` means "not given, use the environment or the default".
    public struct Overrides: Sendable {
        /// `--host`.
        public var host: String?
        /// `--secret`.
        public var secret: String?
        /// `--secret-file`.
        public var secretFile: String?
        /// `--aws`.
        public var aws: String?
        /// `--data`.
        public var data: String?
        /// `--cache-max-bytes`.
        public var cacheMaxBytes: String?
        /// `--allowed-urls`.
        public var allowedURLs: String?
        /// `--denied-networks`.
        public var deniedNetworks: String?
        /// `--tls-cert`.
        public var tlsCert: String?
        /// `--tls-key`.
        public var tlsKey: String?
        /// `--log-format`.
        public var logFormat: String?
        /// `--config`.
        public var config: String?

        /// `--database-url`.
        public var databaseURL: String?
        /// Creates empty overrides.
        public init() {}
    }

    /// Resolves flags over environment over defaults; throws on invalid values.
    public static func resolve(_ flags: Overrides, environment: [String: String]) throws(ServerError) -> Self {
        func pick(_ flag: String?, _ name: String) -> String? {
            if let flag { return flag }
            return environment[name]
        }
        var config = ServerConfiguration()
        if let host = pick(flags.host, "PROSTAGMA_HOST") {
            (config.host, config.port) = try parseListenAddress(host)
        }
        // A flag-given secret (or file) wins over both environment variables.
        if let secret = flags.secret {
            config.secretSource = .value(secret)
        } else if let file = flags.secretFile {
            config.secretSource = .file(file)
        } else if let secret = environment["PROSTAGMA_SECRET"] {
            config.secretSource = .value(secret)
        } else if let file = environment["PROSTAGMA_SECRET_FILE"] {
            config.secretSource = .file(file)
        }
        if case .value(let secret) = config.secretSource, secret.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        {
            throw .configuration(
                "the secret is empty (PROSTAGMA_SECRET or --secret); set a non-empty secret, or unset it to have one generated"
            )
        }
        if let aws = pick(flags.aws, "PROSTAGMA_AWS"), !aws.isEmpty { config.awsPath = aws }
        if let data = pick(flags.data, "PROSTAGMA_DATA") {
            if data.isEmpty { throw .configuration("PROSTAGMA_DATA (--data) is empty") }
            config.dataDirectory = data
        }
        if let bytes = pick(flags.cacheMaxBytes, "PROSTAGMA_CACHE_MAX_BYTES") {
            config.cacheMaxBytes = try parseByteCount(bytes, name: "PROSTAGMA_CACHE_MAX_BYTES")
        }
        if let urls = pick(flags.allowedURLs, "PROSTAGMA_ALLOWED_URLS") {
            config.allowedURLPrefixes = urls.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" })
                .map(String.init)
            for prefix in config.allowedURLPrefixes {
                let lower = prefix.lowercased()
                guard lower.hasPrefix("http://") || lower.hasPrefix("https://") || lower.hasPrefix("s3://") else {
                    throw .configuration(
                        "PROSTAGMA_ALLOWED_URLS entry '\(prefix)' must start with http://, https:// or s3://")
                }
            }
        }
        if let networks = pick(flags.deniedNetworks, "PROSTAGMA_DENIED_NETWORKS") {
            let entries = networks.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" }).map(String.init)
            config.deniedNetworks = entries.isEmpty ? .allowAll : try AddressPolicy(parsing: entries)
        }
        config.tlsCertificatePath = pick(flags.tlsCert, "PROSTAGMA_TLS_CERT").flatMap { $0.isEmpty ? nil : $0 }
        config.tlsKeyPath = pick(flags.tlsKey, "PROSTAGMA_TLS_KEY").flatMap { $0.isEmpty ? nil : $0 }
        if (config.tlsCertificatePath == nil) != (config.tlsKeyPath == nil) {
            throw .configuration("HTTPS needs both PROSTAGMA_TLS_CERT and PROSTAGMA_TLS_KEY (--tls-cert, --tls-key)")
        }
        if let format = pick(flags.logFormat, "PROSTAGMA_LOG_FORMAT") {
            guard let parsed = LogFormat(rawValue: format.lowercased()) else {
                throw .configuration("PROSTAGMA_LOG_FORMAT '\(format)' is not one of text, json")
            }
            config.logFormat = parsed
        }
        if let file = pick(flags.config, "PROSTAGMA_CONFIG") {
            if file.isEmpty { throw .configuration("PROSTAGMA_CONFIG (--config) is empty") }
            config.configFile = file
        }
        if let url = pick(flags.databaseURL, "PROSTAGMA_DATABASE_URL"), !url.isEmpty {
            config.databaseURL = try DatabaseURL(parsing: url)
        }
        return config
    }

    /// Parses `host:port`, `[v6]:port`, `:port`, `port`, or an `http(s)://host:port` URL (as agents write it).
    public static func parseListenAddress(_ text: String) throws(ServerError) -> (host: String, port: Int) {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        for scheme in ["http://", "https://"] where rest.lowercased().hasPrefix(scheme) {
            rest = rest.dropFirst(scheme.count)
        }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        func port(_ p: Substring) throws(ServerError) -> Int {
            guard let value = Int(p), (0...65535).contains(value) else {
                throw .configuration("PROSTAGMA_HOST '\(text)': port '\(p)' is not a number from 0 to 65535")
            }
            return value
        }
        if rest.isEmpty { throw .configuration("PROSTAGMA_HOST is empty; expected host:port, e.g. 127.0.0.1:6969") }
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else {
                throw .configuration("PROSTAGMA_HOST '\(text)': missing ']' after the IPv6 address")
            }
            let host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            guard after.hasPrefix(":") else { return (host, 6969) }
            return (host, try port(after.dropFirst()))
        }
        if rest.allSatisfy(\.isNumber) { return ("127.0.0.1", try port(rest)) }
        guard let colon = rest.lastIndex(of: ":") else { return (String(rest), 6969) }
        if rest[..<colon].contains(":") {
            throw .configuration("PROSTAGMA_HOST '\(text)': write IPv6 addresses in brackets, e.g. [::1]:6969")
        }
        let host = rest[..<colon].isEmpty ? "0.0.0.0" : String(rest[..<colon])
        return (host, try port(rest[rest.index(after: colon)...]))
    }

    /// Parses a byte count: `1048576`, `512MB`, `2GiB`, `10k`.
    public static func parseByteCount(_ text: String, name: String) throws(ServerError) -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let digits = trimmed.prefix(while: \.isNumber)
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        let multipliers: [String: Int64] = [
            "": 1, "b": 1, "k": 1 << 10, "kb": 1000, "kib": 1 << 10, "m": 1 << 20, "mb": 1_000_000, "mib": 1 << 20,
            "g": 1 << 30, "gb": 1_000_000_000, "gib": 1 << 30, "t": 1 << 40, "tb": 1_000_000_000_000, "tib": 1 << 40,
        ]
        guard let value = Int64(digits), let multiplier = multipliers[unit] else {
            throw .configuration("\(name) '\(text)' is not a byte count (e.g. 1073741824, 512MiB, 2GB)")
        }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        guard !overflow, product > 0 else { throw .configuration("\(name) '\(text)' must be positive and fit 64 bits") }
        return product
    }
}
