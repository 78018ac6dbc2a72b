import Crypto
import Foundation

/// Turns a ``ServerConfiguration/SecretSource`` into the secret: reads a secret file, or generates a
/// random secret once, stores it as `<data>/secret` with mode 0600 and reuses it on later starts.
public struct SecretResolver: Sendable {
    /// Name of the generated secret's file inside the data directory.
    public static let fileName = "secret"

    /// The resolved secret and whether it was generated during this call (so it is printed once).
    public struct Resolved: Sendable {
        /// The secret.
        public var secret: String
        /// True when this call created it; the caller prints it once.
        public var generated: Bool
        /// Where it was read from or written to, if a file.
        public var path: String?
    }

    /// Creates a resolver.
    public init() {}

    /// Resolves the secret; creates the data directory when it generates one.
    public func resolve(_ source: ServerConfiguration.SecretSource, dataDirectory: String) throws(ServerError)
        -> Resolved
    {
        switch source {
        case .value(let secret):
            return Resolved(secret: secret, generated: false, path: nil)
        case .file(let path):
            let secret = try read(path, what: "PROSTAGMA_SECRET_FILE")
            return Resolved(secret: secret, generated: false, path: path)
        case .generated:
            let path = (dataDirectory as NSString).appendingPathComponent(Self.fileName)
            if FileManager.default.fileExists(atPath: path) {
                return Resolved(secret: try read(path, what: "the generated secret"), generated: false, path: path)
            }
            try SQLiteStore.makePrivateDirectory(dataDirectory)
            let secret = Self.randomSecret()
            try writeSecret(secret + "\n", to: path)
            return Resolved(secret: secret, generated: true, path: path)
        }
    }

    /// 32 random bytes as 64 lowercase hex digits.
    public static func randomSecret() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { bytes in bytes.map { String(format: "%02x", $0) }.joined() }
    }

    private func read(_ path: String, what: String) throws(ServerError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .configuration("\(what) \(path) cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .configuration("\(what) \(path) is not UTF-8 text")
        }
        let secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if secret.isEmpty { throw .configuration("\(what) \(path) is empty; put a non-empty secret in it") }
        return secret
    }

    /// Writes with mode 0600 from the first byte (open with O_EXCL), so the secret is never world-readable.
    private func writeSecret(_ text: String, to path: String) throws(ServerError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw .configuration("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw .configuration("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
