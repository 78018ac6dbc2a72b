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
