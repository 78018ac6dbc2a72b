import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Sees every byte of a download body, in order, as it is written (to hash it in the same pass). Called on a
/// thread of NIO's blocking pool, one call at a time, never on the cooperative pool.
public typealias DownloadObserver = @Sendable (UnsafeRawBufferPointer) -> Void

/// Writes a stream of chunks to `<path>.partial`, then renames it over `path`.
///
/// Chunks are gathered into batches of ``batchSize`` bytes; each batch is written (and shown to the observer) on
/// NIO's blocking thread pool while the next one is received, so the socket and the disk overlap and a download
/// costs one thread hop per batch, not per chunk. At most one batch is in flight: that is the back-pressure.
enum FileSink {
    /// Bytes gathered before a write: large enough that a hop costs little, small enough to stay cheap in memory.
    static let batchSize = 1 << 20

    static func write<Body: AsyncSequence>(
        _ body: Body,
        to path: String,
        method: String,
        url: String,
        observe: DownloadObserver? = nil
    ) async throws -> Int64 where Body.Element == ByteBuffer {
        let partial = path + ".partial"
        let pool = NIOThreadPool.singleton
        @Sendable func failure(_ detail: String) -> HTTPClientError {
            HTTPClientError(kind: .file, method: method, url: url, detail: detail)
        }
        let fd: CInt = try await pool.runIfActive {
            let fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw failure("creating \(partial): \(String(cString: strerror(errno)))") }
            return fd
        }
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        var written: Int64 = 0
        var inFlight: EventLoopFuture<Void>?
        var batch = ByteBufferAllocator().buffer(capacity: batchSize)
        func flush() async throws {
            if let previous = inFlight {
                inFlight = nil
                try await previous.get()
            }
            guard batch.readableBytes > 0 else { return }
            let bytes = batch
            written += Int64(bytes.readableBytes)
            inFlight = pool.runIfActive(eventLoop: loop) {
                try bytes.withUnsafeReadableBytes { raw in
                    try writeAll(fd, raw, partial: partial, failure: failure)
                    observe?(raw)
                }
            }
            batch = ByteBufferAllocator().buffer(capacity: batchSize)
        }
        do {
            for try await chunk in body {
                batch.writeImmutableBuffer(chunk)
                if batch.readableBytes >= batchSize { try await flush() }
            }
            try await flush()
            if let last = inFlight {
                inFlight = nil
                try await last.get()
            }
        } catch {
            // The batch in flight still uses the descriptor: let it end before closing.
            if let last = inFlight { _ = try? await last.get() }
            try? await pool.runIfActive {
                close(fd)
                unlink(partial)
            }
            if error is HTTPClientError { throw error }
            if let io = error as? IOError { throw failure("writing \(partial): \(io)") }
            throw error
        }
        try await pool.runIfActive {
            guard close(fd) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(partial)
                throw failure("closing \(partial): \(reason)")
            }
            guard rename(partial, path) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(partial)
                throw failure("renaming \(partial) to \(path): \(reason)")
            }
        }
        return written
    }

    /// Writes all of `bytes` at the descriptor's offset, through short writes and EINTR.
    private static func writeAll(
        _ fd: CInt, _ bytes: UnsafeRawBufferPointer, partial: String, failure: (String) -> HTTPClientError
    ) throws {
        guard var base = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = systemWrite(fd, base, left)
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("writing \(partial): \(String(cString: strerror(errno)))")
            }
            base += n
            left -= n
        }
    }
}

#if canImport(Glibc)
    private let systemWrite = Glibc.write
#elseif canImport(Musl)
    private let systemWrite = Musl.write
#elseif canImport(Darwin)
    private let systemWrite = Darwin.write
#endif
