import Crypto
import Foundation
import ProstagmaProtocol

/// A named token as the store keeps it: its name, its scopes and the SHA-256 of its secret, never the secret.
///
/// Why a plain SHA-256 and not a password hash (bcrypt, Argon2): the secret is 32 random bytes made by the server,
/// not something a person chose, so there is no dictionary to try; guessing a 256-bit preimage is out of reach
/// whatever the hash costs. A fast hash lets every request look its token up by digest (an index lookup), and a
/// stolen database still yields no usable credential. Not a wire type: tokens are managed with
/// `prostagma-server token` and never sent by the API.
public struct AccessToken: Sendable, Equatable {
    /// The token's name: what releases record as `requested_by` and what 403s and `token list` show.
    public var name: String
    /// What it may do (any one of them granting a permission is enough).
    public var scopes: [TokenScope]
    /// SHA-256 of the secret, lower-case hex.
    public var digest: String
    /// When it was created.
    public var createdAt: Date
    /// When a request last presented it (updated at most once per ``lastUsedResolution``); nil if never.
    public var lastUsedAt: Date?

    /// How stale `lastUsedAt` may get: a request updates it only when it is older, so a long-polling agent does not
    /// write to the database on every poll.
    public static let lastUsedResolution: TimeInterval = 60
    /// The prefix of every token's secret, so secret scanners and people recognise one.
    public static let secretPrefix = "pst_"
    /// Names a token may not take: they already mean something as a release's `requested_by`.
    public static let reservedNames: Set<String> = ["secret", "auto_rollback"]

    /// Creates a record.
    public init(name: String, scopes: [TokenScope], digest: String, createdAt: Date, lastUsedAt: Date? = nil) {
        self.name = name
        self.scopes = scopes
        self.digest = digest
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }

    /// Makes a new token: the record to store and the secret to print once. 32 bytes from the system's CSPRNG.
    public static func generate(name: String, scopes: [TokenScope], now: Date) throws(ServerError) -> (
        token: AccessToken, secret: String
    ) {
        try checkName(name)
        guard !scopes.isEmpty else {
            throw .unprocessable("token '\(name)' needs at least one --scope (admin, read, trigger:NAME, agent:NAME)")
        }
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let secret = secretPrefix + bytes.map { String(format: "%02x", $0) }.joined()
        return (AccessToken(name: name, scopes: scopes, digest: digest(of: secret), createdAt: now), secret)
    }

    /// The stored form of a presented secret: SHA-256, lower-case hex.
    public static func digest(of secret: String) -> String {
        SHA256.hash(data: Array(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Throws 422 unless `name` follows the trigger name rule and is not reserved.
    public static func checkName(_ name: String) throws(ServerError) {
        do throws(ProtocolError) {
            try TriggerName.validate(name)
        } catch {
            throw .unprocessable("token name '\(name)' (named like a trigger): \(error.description)")
        }
        if reservedNames.contains(name) {
            throw .unprocessable(
                "token name '\(name)' is reserved: releases already use it as requested_by; choose another name")
        }
    }

    /// Whether any of the token's scopes grants one of `permissions`.
    public func allows(any permissions: [TokenScope.Permission]) -> Bool {
        permissions.contains { permission in scopes.contains { $0.grants(permission) } }
    }

    /// The scopes as stored and listed: comma-free forms joined by spaces (`read trigger:web,api`).
    public var scopeText: String { scopes.map(\.description).joined(separator: " ") }

    /// Parses ``scopeText``.
    public static func scopes(parsing text: String) throws(ServerError) -> [TokenScope] {
        var scopes: [TokenScope] = []
        for part in text.split(separator: " ") { scopes.append(try TokenScope(parsing: String(part))) }
        return scopes
    }
}
