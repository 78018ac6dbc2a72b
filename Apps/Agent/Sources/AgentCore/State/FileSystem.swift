#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The few POSIX file operations the agent needs, with errors that name the path.
enum FileSystem {
    static func errorText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

    static func createDirectories(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw AgentError.io("\(current): cannot create directory: \(errorText())")
            }
        }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func readIfExists(_ path: String) throws -> Data? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw AgentError.io("\(path): cannot open: \(errorText())")
        }
        defer { close(fd) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw AgentError.io("\(path): cannot read: \(errorText())")
            }
            if n == 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        return data
    }

    static func read(_ path: String) throws -> Data {
        guard let data = try readIfExists(path) else { throw AgentError.io("\(path): no such file") }
        return data
    }

    static func directoryOf(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func baseName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// A unique temporary path beside `path` (same directory, so a rename is atomic).
    static func temporaryPath(beside path: String) -> String {
        directoryOf(path) + "/." + baseName(path) + ".prostagma-tmp-"
            + String(UInt64.random(in: 0...UInt64.max), radix: 36)
    }

    static func fsyncDirectory(_ dir: String) {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }

    /// Writes `data` to `path` so that readers (and a crash) see the old file or the new one, never half.
    static func writeAtomically(_ data: Data, to path: String, mode: mode_t = 0o644) throws {
        let temp = temporaryPath(beside: path)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        if fd < 0 { throw AgentError.io("\(temp): cannot create: \(errorText())") }
        var ok = false
        defer {
            if !ok { unlink(temp) }
        }
        do {
            defer { close(fd) }
            try data.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = systemWrite(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw AgentError.io("\(temp): cannot write: \(errorText())")
                    }
                    offset += n
                }
            }
            if fsync(fd) != 0 { throw AgentError.io("\(temp): fsync failed: \(errorText())") }
        }
        if rename(temp, path) != 0 { throw AgentError.io("\(path): cannot rename into place: \(errorText())") }
        ok = true
        fsyncDirectory(directoryOf(path))
    }
}
