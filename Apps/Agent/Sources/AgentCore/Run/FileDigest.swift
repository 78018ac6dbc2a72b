import Digest

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// SHA-256 of files, read in chunks.
public enum FileDigest {
    /// The lowercase hex SHA-256 of the file at `path`, on the calling thread.
    public static func sha256Hex(of path: String) throws -> String {
        try sha256Hex(of: path, isCancelled: { false })
    }

    /// The lowercase hex SHA-256 of the file at `path`, read and hashed on a thread of its own: a large
    /// artifact takes seconds, which must hold neither a cooperative thread nor a step past its timeout.
    /// Cancelling the calling task stops the reading within 64 KiB and throws `CancellationError`.
    public static func sha256Hex(of path: String) async throws -> String {
        try await BlockingThread.run { cancellation in
            try sha256Hex(of: path, isCancelled: { cancellation.isCancelled })
        }
    }

    /// The digest, asking `isCancelled` before each chunk; throws `CancellationError` once it says yes.
    static func sha256Hex(of path: String, isCancelled: () -> Bool) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw AgentError.io("\(path): cannot open: \(FileSystem.errorText())") }
        defer { close(fd) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            if isCancelled() { throw CancellationError() }
            let n = buffer.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw AgentError.io("\(path): cannot read: \(FileSystem.errorText())")
            }
            if n == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        return SHA256.hex(hasher.finalize())
    }
}
