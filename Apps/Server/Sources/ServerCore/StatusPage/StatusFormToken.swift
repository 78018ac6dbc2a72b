import Crypto
import Foundation

/// The CSRF token of the status page's forms (docs/decisions.md, "Status page forms").
///
/// A browser that holds the page's Basic credentials sends them with any POST to the server, a forged one from
/// another site included; the token is what such a POST cannot have. It is `ISSUED.MAC`: the Unix time the page
/// was rendered and an HMAC-SHA256 of it under a key derived from the secret (never the secret itself, and not the
/// key webhooks are signed with). It needs no server-side state, survives a restart, works across replicas that
/// share the secret, and expires after ``lifetime``.
public struct StatusFormToken: Sendable, CustomStringConvertible {
    private let key: [UInt8]

    /// How long a rendered page's forms stay usable.
    public static let lifetime: TimeInterval = 12 * 3600
    /// How far in the future an issue time may be (clocks of replicas disagree a little).
    static let skew: TimeInterval = 60

    /// Derives the token key from the server's secret.
    public init(secret: String) {
        key = Array(
            HMAC<SHA256>.authenticationCode(
                for: Array("prostagma status page forms".utf8), using: SymmetricKey(data: Array(secret.utf8))))
    }

    public var description: String { "StatusFormToken(<redacted>)" }

    /// A token for a page rendered at `now`.
    public func issue(now: Date) -> String {
        let issued = Int64(now.timeIntervalSince1970.rounded(.down))
        return "\(issued).\(mac(issued))"
    }

    /// Whether `token` was issued by this server's secret within ``lifetime`` of `now`.
    public func accepts(_ token: String?, now: Date) -> Bool {
        guard let token, token.utf8.count <= 128, let dot = token.firstIndex(of: "."),
            let issued = Int64(token[..<dot])
        else { return false }
        let age = now.timeIntervalSince1970 - Double(issued)
        guard age >= -Self.skew, age <= Self.lifetime else { return false }
        return Authenticator.constantTimeEquals(
            Array(token[token.index(after: dot)...].utf8), Array(mac(issued).utf8))
    }

    private func mac(_ issued: Int64) -> String {
        HMAC<SHA256>.authenticationCode(for: Array("csrf:\(issued)".utf8), using: SymmetricKey(data: key))
            .map { String(format: "%02x", $0) }.joined()
    }
}
