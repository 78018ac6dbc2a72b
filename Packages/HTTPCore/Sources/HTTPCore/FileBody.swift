import NIOCore
import NIOPosix
import Synchronization

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
        range: Range<Int64>?,
        sendBody: Bool = true,
        start: (_ length: Int64, _ fileSize: Int64) async throws -> Void,
        body: (ByteBuffer) async throws -> Void
    ) async throws -> Int64 {
        let fileIO = NonBlockingFileIO(threadPool: .singleton)
        return try await fileIO.withFileHandle(_deprecatedPath: path, mode: .read) { handle in
            let size = try await fileIO.readFileSize(fileHandle: handle)
            let wanted = range ?? 0..<size
            guard wanted.lowerBound >= 0, wanted.lowerBound <= size, range == nil || wanted.lowerBound < size else {
                throw Failure.rangeNotSatisfiable(fileSize: size)
            }
            let upper = min(wanted.upperBound, size)
            try await start(upper - wanted.lowerBound, size)
            guard sendBody else { return 0 }
            var offset = wanted.lowerBound
            while offset < upper {
                let count = Int(min(Int64(chunkSize), upper - offset))
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
