import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a file (or a range of it) in chunks on NIO's blocking-I/O pool and hands them on, one at a time.
enum FileBody {
    static let chunkSize = 64 * 1024

    enum Failure: Error {
        case rangeNotSatisfiable(fileSize: Int64)
    }

    /// Opens `path`, reports the length of what will be sent through `start`, then sends it through `body`.
    ///
    /// `start` receives the byte count before any chunk; errors opening the file are thrown before `start` runs.
    static func send(
        path: String,
        range: ResponseBody.FileRange,
        sendBody: Bool = true,
        start: (_ length: Int64, _ fileSize: Int64, _ partial: Range<Int64>?) async throws -> Void,
        body: (ByteBuffer) async throws -> Void
    ) async throws -> Int64 {
        let fileIO = NonBlockingFileIO(threadPool: .singleton)
        return try await fileIO.withFileHandle(_deprecatedPath: path, mode: .read) { handle in
            let size = try await fileIO.readFileSize(fileHandle: handle)
            let partial: Range<Int64>?
            switch range {
            case .whole:
                partial = nil
            case .fixed(let fixed):
                guard fixed.lowerBound >= 0, fixed.lowerBound < size else {
                    throw Failure.rangeNotSatisfiable(fileSize: size)
                }
                partial = fixed.lowerBound..<min(fixed.upperBound, size)
            case .header(let header):
                switch ByteRangeHeader.resolve(header, fileSize: size) {
                case .whole: partial = nil
                case .partial(let resolved): partial = resolved
                case .unsatisfiable: throw Failure.rangeNotSatisfiable(fileSize: size)
                }
            }
            let wanted = partial ?? 0..<size
            let upper = wanted.upperBound
            try await start(upper - wanted.lowerBound, size, partial)
            guard sendBody else { return 0 }
            return try await sendChunks(of: handle, wanted, fileIO: fileIO, body: body)
        }
    }
}

extension FileBody {
    /// Reads `wanted` of `handle` in chunks on the blocking pool and hands each to `body`; returns the bytes sent,
    /// fewer than asked only if the file ends first.
    static func sendChunks(
        of handle: NIOFileHandle,
        _ wanted: Range<Int64>,
        fileIO: NonBlockingFileIO,
        body: (ByteBuffer) async throws -> Void
    ) async throws -> Int64 {
        var offset = wanted.lowerBound
        while offset < wanted.upperBound {
            let count = Int(min(Int64(chunkSize), wanted.upperBound - offset))
            let chunk = try await fileIO.read(
                fileHandle: handle,
                fromOffset: offset,
                byteCount: count,
                allocator: ByteBufferAllocator()
            )
            if chunk.readableBytes == 0 { break }  // the file shrank under us
            offset += Int64(chunk.readableBytes)
            try await body(chunk)
        }
        return offset - wanted.lowerBound
    }
}

/// A region of a file its owner keeps open (``ResponseBody/region(of:offset:length:keepingAlive:)``).
struct OpenFileRegion: Sendable {
    let descriptor: CInt
    let offset: Int64
    let length: Int64
    /// Keeps `descriptor` open while the body exists.
    let owner: (any Sendable)?

    struct Shorter: Error, CustomStringConvertible {
        let fileSize: Int64
        let wanted: Range<Int64>
        var description: String {
            "the file has \(fileSize) bytes, fewer than the \(wanted.lowerBound)..<\(wanted.upperBound) to send"
        }
    }

    var wanted: Range<Int64> { offset..<(offset + length) }

    /// A handle of its own on the file (a duplicate of the descriptor, closed by whoever takes it), after checking
    /// that the file still holds every byte of the region: `sendfile` past the end of a file would send nothing,
    /// forever.
    func duplicate() throws -> NIOFileHandle {
        let copy = dup(descriptor)
        guard copy >= 0 else { throw IOError(errnoCode: errno, reason: "dup") }
        var status = stat()
        guard fstat(copy, &status) == 0 else {
            let code = errno
            close(copy)
            throw IOError(errnoCode: code, reason: "fstat")
        }
        guard Int64(status.st_size) >= wanted.upperBound else {
            close(copy)
            throw Shorter(fileSize: Int64(status.st_size), wanted: wanted)
        }
        return NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: copy)
    }

    /// Reads the region in chunks on NIO's blocking pool, from a duplicate of its own (for tests).
    func readChunks(_ body: (ByteBuffer) async throws -> Void) async throws {
        let handle = try duplicate()
        defer { try? handle.close() }
        try await readChunks(from: handle, body)
        withExtendedLifetime(owner) {}
    }

    /// Reads the region from `handle` (a ``duplicate()``) in chunks on NIO's blocking pool (behind TLS); throws
    /// ``Shorter`` if the file ends first.
    func readChunks(from handle: NIOFileHandle, _ body: (ByteBuffer) async throws -> Void) async throws {
        let sent = try await FileBody.sendChunks(
            of: handle, wanted, fileIO: NonBlockingFileIO(threadPool: .singleton), body: body)
        guard sent == length else { throw Shorter(fileSize: offset + sent, wanted: wanted) }
    }
}

/// Gathers chunks into one buffer (thread-safe, for collecting bodies in tests).
final class ByteCollector: Sendable {
    private let storage = Mutex(ByteBuffer())

    var buffer: ByteBuffer { storage.withLock { $0 } }

    func append(_ chunk: ByteBuffer, limit: Int) throws {
        try storage.withLock { buffer in
            guard buffer.readableBytes + chunk.readableBytes <= limit else {
                throw HTTPError(
                    .payloadTooLarge, error: "payload_too_large", detail: "body is larger than \(limit) bytes")
            }
            var chunk = chunk
            buffer.writeBuffer(&chunk)
        }
    }
}
