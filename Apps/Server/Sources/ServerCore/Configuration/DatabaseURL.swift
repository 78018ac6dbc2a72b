import Foundation

/// A PostgreSQL connection URL (`PROSTAGMA_DATABASE_URL`, `--database-url`):
/// `postgres://user:password@host:port/database?sslmode=require`.
///
/// Its `description` elides the password, so the URL can be logged and put in error messages; only ``password``
/// holds it.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    /// How the connection uses TLS, from `sslmode`.
    public enum TLSMode: String, Sendable {
        /// `sslmode=disable` (the default when none is given): plain TCP.
        case disable
        /// `sslmode=prefer` or `allow`: TLS when the server offers it.
        case prefer
        /// `sslmode=require`, `verify-ca` or `verify-full`: TLS or no connection; the certificate and the host name
        /// are verified (stricter than libpq's `require`) against the system's trust roots, or against
        /// ``DatabaseURL/rootCertificatePath`` when `sslrootcert` is given.
        case require
    }

    /// The user name.
    public var user: String
    /// The password; never printed.
    public var password: String?
    /// The host name or address.
    public var host: String
    /// The port (default 5432).
    public var port: Int
    /// The database (default: the user name, as libpq does).
    public var database: String
    /// TLS use.
    public var tls: TLSMode
    /// `sslrootcert`: a PEM file of the certificate authorities (or the self-signed certificate) the database's
    /// certificate is verified against, instead of the system's trust roots.
    public var rootCertificatePath: String?

    /// Parses `text`; the error names what is wrong, with the password elided.
    public init(parsing text: String) throws(ServerError) {
        let shown = Self.elidingPassword(text)
        func invalid(_ why: String) -> ServerError {
            .configuration("PROSTAGMA_DATABASE_URL '\(shown)' \(why); expected postgres://user:password@host:port/db")
        }
        guard let components = URLComponents(string: text) else { throw invalid("is not a URL") }
        guard let scheme = components.scheme?.lowercased(), scheme == "postgres" || scheme == "postgresql" else {
            throw invalid("must start with postgres:// or postgresql://")
        }
        guard let host = components.host, !host.isEmpty else { throw invalid("has no host") }
        guard let user = components.user, !user.isEmpty else { throw invalid("has no user name") }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.user = user.removingPercentEncoding ?? user
        password = components.password.map { $0.removingPercentEncoding ?? $0 }
        port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw invalid("has port \(port), not one from 1 to 65535") }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? self.user : (path.removingPercentEncoding ?? path)
        tls = .disable
        for item in components.queryItems ?? [] {
            switch (item.name, item.value ?? "") {
            case ("sslmode", "disable"): tls = .disable
            case ("sslmode", "allow"), ("sslmode", "prefer"): tls = .prefer
            case ("sslmode", "require"), ("sslmode", "verify-ca"), ("sslmode", "verify-full"): tls = .require
            case ("sslmode", let other):
                throw invalid(
                    "has sslmode '\(other)', not one of disable, allow, prefer, require, verify-ca, verify-full")
            case ("sslrootcert", let path):
                guard !path.isEmpty else { throw invalid("has an empty sslrootcert; expected the path of a PEM file") }
                rootCertificatePath = path
            case ("application_name", _), ("connect_timeout", _):
                continue
            case (let name, _):
                throw invalid("has the parameter '\(name)', which is not supported (only sslmode and sslrootcert)")
            }
        }
    }

    /// `postgres://user:***@host:port/db`: the password never shows.
    public var description: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)\(password == nil ? "" : ":***")@\(hostPart):\(port)/\(database)"
            + (tls == .disable ? "" : "?sslmode=\(tls.rawValue)")
            + (rootCertificatePath.map { "\(tls == .disable ? "?" : "&")sslrootcert=\($0)" } ?? "")
    }

    /// `host:port`, what an error about reaching the database names.
    public var endpoint: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// `text` with the password between `user:` and `@` replaced by `***`, for messages about a URL that does not
    /// parse.
    static func elidingPassword(_ text: String) -> String {
        guard let scheme = text.range(of: "://") else { return text }
        let rest = text[scheme.upperBound...]
        guard let at = rest.lastIndex(of: "@") else { return text }
        let userinfo = rest[..<at]
        guard let colon = userinfo.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(rest[at...])
    }
}
