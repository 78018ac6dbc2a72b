#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Random access to the archive's bytes: a file read with `pread`, or an array in memory.
final class ByteSource: Sendable {
    private enum Storage {
        case file(Int32)
        case memory([UInt8])
    }

    private let storage: Storage
    /// The archive's length in bytes.
    let size: UInt64

    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ZipError(.io, "cannot open: \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw ZipError(.io, "cannot stat: \(message)")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw ZipError(.notAZip, "not a regular file")
        }
        storage = .file(fd)
        size = UInt64(info.st_size)
    }

    init(bytes: [UInt8]) {
        storage = .memory(bytes)
        size = UInt64(bytes.count)
    }

    deinit {
        if case .file(let fd) = storage { close(fd) }
    }

    /// Fills `buffer` from `offset`; returns how many bytes were read (fewer only at the end of the archive).
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard offset < size, buffer.count > 0 else { return 0 }
        let wanted = Int(min(UInt64(buffer.count), size - offset))
        switch storage {
        case .file(let fd):
            var done = 0
            while done < wanted {
                let n = pread(fd, buffer.baseAddress! + done, wanted - done, off_t(offset + UInt64(done)))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ZipError(.io, "read failed at offset \(offset): \(String(cString: strerror(errno)))")
                }
                if n == 0 { break }
                done += n
            }
            return done
        case .memory(let bytes):
            let start = Int(offset)
            bytes.withUnsafeBytes { source in
                UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[start..<start + wanted]))
            }
            return wanted
        }
    }

    /// Exactly `count` bytes from `offset`, or nil when the archive ends first.
    func bytes(at offset: UInt64, count: Int) throws -> [UInt8]? {
        guard count > 0 else { return [] }
        var result = [UInt8](repeating: 0, count: count)
        let got = try result.withUnsafeMutableBytes { try read(at: offset, into: $0) }
        return got == count ? result : nil
    }
}
