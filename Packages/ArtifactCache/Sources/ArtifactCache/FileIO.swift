import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Thin POSIX wrappers that throw `ArtifactCacheError` naming the call and the path.
enum FileIO {
    /// Cached artifacts and their records are the server's alone: 0600 from the first byte (the umask may only
    /// narrow it), in a 0700 directory.
    static let fileMode: mode_t = 0o600
    static let directoryMode: Int = 0o700

    static func openForWriting(_ path: String) throws -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, fileMode)
        guard fd >= 0 else { throw ArtifactCacheError.io("open", path) }
        return fd
    }

    /// Opens for reading; nil when the file does not exist.
    static func openForReading(_ path: String) throws -> Int32? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw ArtifactCacheError.io("open", path)
        }
        return fd
    }

    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < buffer.count {
            let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw ArtifactCacheError.io("write", path)
            }
            offset += n
        }
    }

    /// Reads up to `buffer.count` bytes at `offset`; returns how many (0 at end of file).
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64, path: String) throws
        -> Int
    {
        while true {
            let n = pread(fd, buffer.baseAddress!, buffer.count, off_t(offset))
            if n >= 0 { return n }
            if errno != EINTR { throw ArtifactCacheError.io("read", path) }
        }
    }

    /// Reads up to `count` bytes at `offset` on a Dispatch worker thread, so the calling task's thread (one of
    /// Swift's few cooperative threads, which also serve every other request) never waits on the disk.
    static func readOffThePool(_ fd: Int32, count: Int, at offset: Int64, path: String) async throws -> [UInt8] {
        try await offThePool {
            try [UInt8](unsafeUninitializedCapacity: count) { buffer, filled in
                filled = try read(fd, into: UnsafeMutableRawBufferPointer(buffer), at: offset, path: path)
            }
        }
    }

    /// Runs `work` (file reads, writes, fsyncs) on a Dispatch worker thread and returns its result, so no
    /// cooperative thread waits on the disk.
    static func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try work() })
            }
        }
    }

    static func sync(_ fd: Int32, path: String) throws {
        guard fsync(fd) == 0 else { throw ArtifactCacheError.io("fsync", path) }
    }

    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ArtifactCacheError.io("open", path) }
        defer { close(fd) }
        try sync(fd, path: path)
    }

    static func rename(_ from: String, _ to: String) throws {
        guard Foundation.rename(from, to) == 0 else { throw ArtifactCacheError.io("rename to \(to)", from) }
    }

    /// Removes a file; a missing file is not an error.
    static func remove(_ path: String) {
        _ = unlink(path)
    }

    /// Size of an open file.
    static func size(_ fd: Int32, path: String) throws -> Int64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ArtifactCacheError.io("fstat", path) }
        return Int64(info.st_size)
    }

    /// Size of a file by path; nil when it does not exist.
    static func size(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: directoryMode])
        } catch {
            throw ArtifactCacheError(.io, "cannot create cache directory \(path): \(error)")
        }
    }

    static func list(_ path: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw ArtifactCacheError(.io, "cannot list cache directory \(path): \(error)")
        }
    }

    /// Takes an exclusive, non-blocking `flock` on `path`; returns the descriptor that holds it.
    static func lock(_ path: String, directory: String) throws -> Int32 {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, fileMode)
        guard fd >= 0 else { throw ArtifactCacheError.io("open", path) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK {
                throw ArtifactCacheError(.locked, "cache directory \(directory) is in use by another cache instance")
            }
            throw ArtifactCacheError.io("flock", path, errno: code)
        }
        return fd
    }

    static func randomHex(_ bytes: Int = 8) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
