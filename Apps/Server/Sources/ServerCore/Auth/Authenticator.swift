import Crypto
import Foundation

/// Checks every kind of credential the server accepts, always in constant time.
///
/// A presented secret is compared with every byte of it checked whatever the first difference, in time that
/// depends only on the presented length (``matchesSecret(_:)``); other comparisons go through
/// ``constantTimeEquals(_:_:)``, which hashes both sides with SHA-256 first. Neither the position of the first
/// differing byte nor the secret's length leaks through timing. The secret is held privately and never rendered
/// by `description`.
public struct Authenticator: Sendable, CustomStringConvertible {
    private let secret: [UInt8]

    /// Creates an authenticator for `secret` (non-empty; configuration refuses an empty secret).
    public init(secret: String) {
        self.secret = Array(secret.utf8)
    }

    public var description: String { "Authenticator(secret: <redacted>)" }

    /// The outcome of checking one request's credentials.
    public enum Outcome: Sendable, Equatable {
        /// The credentials match.
        case accepted
        /// No credentials were presented (401).
        case missing
        /// Credentials were presented and are wrong (403).
        case rejected
    }

    /// Checks a `secret` field of an original-API JSON body.
    public func checkBodySecret(_ presented: String?) -> Outcome {
        guard let presented else { return .missing }
        return matchesSecret(presented.utf8) ? .accepted : .rejected
    }

    /// Which kind of credential a request presented.
    public enum Credential: Sendable, Equatable {
        /// The shared secret: `Authorization: Bearer`, or Basic with the secret as password.
        case secret
        /// `X-Hub-Signature-256`, an HMAC of the body (GitHub and Gitea webhooks).
        case hubSignature
        /// `X-Gitlab-Token` (GitLab webhooks).
        case gitlabToken
    }

    /// Checks the request headers for v1 credentials, in order: `Authorization: Bearer`,
    /// `X-Hub-Signature-256` (HMAC-SHA256 of `body`), `X-Gitlab-Token`.
    /// `header` looks a header up case-insensitively.
    public func checkHeaders(_ header: (String) -> String?, body: [UInt8]) -> Outcome {
        credential(header, body: body).outcome
    }

    /// Checks the request headers as ``checkHeaders(_:body:)`` does and says which credential was accepted (nil
    /// unless the outcome is ``Outcome/accepted``): a webhook's increment reads the body as the forge's payload.
    public func credential(_ header: (String) -> String?, body: [UInt8]) -> (outcome: Outcome, credential: Credential?)
    {
        func result(_ outcome: Outcome, _ credential: Credential) -> (outcome: Outcome, credential: Credential?) {
            (outcome, outcome == .accepted ? credential : nil)
        }
        if let authorization = header("authorization") {
            return result(checkAuthorization(authorization), .secret)
        }
        if let signature = header("x-hub-signature-256") {
            return result(checkHubSignature(signature, body: body), .hubSignature)
        }
        if let token = header("x-gitlab-token") {
            return result(matchesSecret(token.utf8) ? .accepted : .rejected, .gitlabToken)
        }
        return (.missing, nil)
    }

    /// The secret a request presented in plain text, where a named token may stand in for the shared secret:
    /// `Authorization: Bearer`, the password of `Basic`, or `X-Gitlab-Token`, in the order ``credential(_:body:)``
    /// checks them. Nil for an `X-Hub-Signature-256` (an HMAC, whose key the server must hold in plain text, so
    /// only the shared secret can sign) and for a malformed header.
    public func presentedSecret(_ header: (String) -> String?) -> (secret: String, credential: Credential)? {
        if let authorization = header("authorization") {
            let trimmed = authorization.trimmingHTTPWhitespace()
            guard let space = trimmed.firstIndex(of: " ") else { return nil }
            let credentials = trimmed[space...].trimmingHTTPWhitespace()
            switch trimmed[..<space].lowercased() {
            case "bearer":
                return (credentials, .secret)
            case "basic":
                guard let decoded = Data(base64Encoded: credentials),
                    let colon = decoded.firstIndex(of: UInt8(ascii: ":"))
                else { return nil }
                return (String(decoding: decoded[decoded.index(after: colon)...], as: UTF8.self), .secret)
            default:
                return nil
            }
        }
        if header("x-hub-signature-256") != nil { return nil }
        return header("x-gitlab-token").map { ($0, .gitlabToken) }
    }

    /// Checks `Authorization: Bearer <secret>` (and `Basic`, whose password is the secret, any user).
    public func checkAuthorization(_ value: String) -> Outcome {
        let trimmed = value.trimmingHTTPWhitespace()
        guard let space = trimmed.firstIndex(of: " ") else { return .rejected }
        let scheme = trimmed[..<space].lowercased()
        let credentials = trimmed[space...].trimmingHTTPWhitespace()
        switch scheme {
        case "bearer":
            return matchesSecret(credentials.utf8) ? .accepted : .rejected
        case "basic":
            guard let decoded = Data(base64Encoded: credentials), let colon = decoded.firstIndex(of: UInt8(ascii: ":"))
            else { return .rejected }
            let password = Array(decoded[decoded.index(after: colon)...])
            return matchesSecret(password) ? .accepted : .rejected
        default:
            return .rejected
        }
    }

    /// Checks `X-Hub-Signature-256: sha256=<hex>` against HMAC-SHA256(secret, body).
    public func checkHubSignature(_ value: String, body: [UInt8]) -> Outcome {
        let trimmed = value.trimmingHTTPWhitespace()
        guard trimmed.lowercased().hasPrefix("sha256="), let presented = Self.hexBytes(trimmed.dropFirst(7)) else {
            return .rejected
        }
        let expected = Array(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret)))
        return Self.constantTimeEquals(presented, expected) ? .accepted : .rejected
    }

    /// The header value a forge would send for `body` (used by tests and tools).
    public func hubSignature(for body: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Equality whose time depends on neither the contents nor the lengths of the inputs.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        digestsEqual(SHA256.hash(data: a), SHA256.hash(data: b))
    }

    /// Whether `presented` is the secret, in time that depends only on `presented`'s length: every presented byte
    /// is compared (past the secret's end, with its last byte), and the lengths are compared too, with no branch on
    /// either. A poll of the original API checks its secret this way on every request, without hashing.
    func matchesSecret(_ presented: some Collection<UInt8>) -> Bool {
        secret.withUnsafeBufferPointer { secret in
            guard let last = secret.indices.last else { return presented.isEmpty }
            var difference = UInt(bitPattern: presented.count ^ secret.count)
            var index = 0
            for byte in presented {
                difference |= UInt(byte ^ secret[Swift.min(index, last)])
                index &+= 1
            }
            return difference == 0
        }
    }

    /// Compares every byte of two digests, whatever the first difference.
    private static func digestsEqual(_ left: some Sequence<UInt8>, _ right: some Sequence<UInt8>) -> Bool {
        var difference: UInt8 = 0
        for (x, y) in zip(left, right) { difference |= x ^ y }
        return difference == 0
    }

    static func hexBytes<S: StringProtocol>(_ text: S) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0, !utf8.isEmpty else { return nil }
        var result: [UInt8] = []
        result.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let high = nibble(utf8[i]), let low = nibble(utf8[i + 1]) else { return nil }
            result.append(high << 4 | low)
            i += 2
        }
        return result
    }

    static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
