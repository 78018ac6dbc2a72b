import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Sees every byte of a download body, in order, while it is written (to hash it in the same pass). Called on a
/// thread of NIO's blocking pool, one call at a time, never on the cooperative pool.
public typealias DownloadObserver = @Sendable (UnsafeRawBufferPointer) -> Void

/// Receives a download body on its connection's event loop and writes it to `<path>.partial`, then renames that
/// over `path`.
///
/// Body parts are gathered on the event loop, with no task hop per part, into batches of ``batchSize`` bytes: the
/// parts themselves (slices of the connection's reads, not copied), written with one `writev`. Each batch is written,
/// and shown to the observer, on NIO's blocking pool while the next one is received; the write and the observer
/// (hashing) run side by side on two pool threads, each in batch order. The back-pressure: once a batch is full
/// while the one before it is still being written or observed, the connection reads no more until both end. So at
/// most three batches exist at a time (one written, one queued, one gathering).
///
/// Only a status the caller accepts (2xx, or any with `writeAnyStatus`) opens the file; another status's body is
/// dropped as it arrives. Every member is touched on `eventLoop` only, the loop of the connection the response
/// arrives on (`ClientChannelHandler` calls the consumer methods there).
final class FileSink: ResponseConsumer, @unchecked Sendable {
    /// Bytes gathered before a write: large enough that a hop costs little, small enough to stay cheap in memory.
    static let batchSize = 1 << 20

    let eventLoop: any EventLoop
    private let path: String
    private let partial: String
    private let writeAnyStatus: Bool
    private let observe: DownloadObserver?
    private let failure: @Sendable (String) -> HTTPClientError
    private let pool = NIOThreadPool.singleton

    private(set) var head: HTTPResponseHead?
    /// The `.partial` file's descriptor, once opened on the blocking pool; nil when no file is written.
    private var opened: EventLoopFuture<CInt>?
    /// Set by `finish` and `abandon`: the descriptor is theirs to close.
    private var taken = false
    private var batch: [ByteBuffer] = []
    private var batchBytes = 0
    /// The last write scheduled; each write is chained after the one before it.
    private var lastWrite: EventLoopFuture<Void>?
    /// The last observer call scheduled; each is chained after the one before it.
    private var lastObserved: EventLoopFuture<Void>?
    /// The last batch's write and observer call, both.
    private var lastBatch: EventLoopFuture<Void>?
    private(set) var bytesWritten: Int64 = 0
    var writesFile: Bool { opened != nil }

    init(
        path: String, writeAnyStatus: Bool, observe: DownloadObserver?, eventLoop: any EventLoop,
        failure: @escaping @Sendable (String) -> HTTPClientError
    ) {
        self.path = path
        self.partial = path + ".partial"
        self.writeAnyStatus = writeAnyStatus
        self.observe = observe
        self.eventLoop = eventLoop
        self.failure = failure
    }

    func head(_ head: HTTPResponseHead) throws {
        self.head = head
        guard (200..<300).contains(head.status.code) || writeAnyStatus else { return }
        let (partial, failure) = (partial, failure)
        opened = pool.runIfActive(eventLoop: eventLoop) { () throws -> CInt in
            let fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw failure("creating \(partial): \(String(cString: strerror(errno)))") }
            return fd
        }
    }

    func body(_ buffer: ByteBuffer) throws -> EventLoopFuture<Void>? {
        guard writesFile else { return nil }
        guard buffer.readableBytes > 0 else { return nil }
        batch.append(buffer)
        batchBytes += buffer.readableBytes
        guard batchBytes >= Self.batchSize else { return nil }
        let before = lastBatch ?? opened?.map { _ in }
        scheduleWrite()
        return before
    }

    func end() throws -> ByteBuffer? { nil }

    /// Writes the batch gathered so far after the writes before it (and after the file is open).
    private func scheduleWrite() {
        guard batchBytes > 0, let opened else { return }
        let parts = batch
        batch = []
        bytesWritten += Int64(batchBytes)
        batchBytes = 0
        let (partial, observe, failure, pool, loop) = (partial, observe, failure, pool, eventLoop)
        let written = (lastWrite ?? opened.map { _ in }).flatMap {
            opened.flatMap { fd in
                pool.runIfActive(eventLoop: loop) { try Self.writeAll(fd, parts, partial: partial, failure: failure) }
            }
        }
        lastWrite = written
        lastBatch = written
        guard let observe else { return }
        let observed = (lastObserved ?? loop.makeSucceededVoidFuture()).flatMap {
            pool.runIfActive(eventLoop: loop) { for part in parts { part.withUnsafeReadableBytes(observe) } }
        }
        lastObserved = observed
        lastBatch = written.and(observed).map { _ in }
    }

    /// After a complete response: writes the rest, waits for every write, closes the file and renames it into place.
    func finish() async throws {
        let writes = eventLoop.flatSubmit {
            self.scheduleWrite()
            return self.lastBatch ?? self.opened?.map { _ in } ?? self.eventLoop.makeSucceededVoidFuture()
        }
        do {
            try await writes.get()
        } catch {
            await abandon()
            throw error
        }
        let (opened, path, partial, failure) = try await eventLoop.submit {
            defer { self.taken = true }
            return (self.taken ? nil : self.opened, self.path, self.partial, self.failure)
        }.get()
        guard let fd = try await opened?.get() else { return }
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
    }

    /// After a failure: lets the writes already scheduled end (they use the descriptor), then closes and removes
    /// the partial file.
    func abandon() async {
        let settled = eventLoop.flatSubmit {
            let done = self.eventLoop.makeSucceededVoidFuture()
            return (self.lastWrite ?? done).flatMapErrorThrowing { _ in () }
                .and((self.lastObserved ?? done).flatMapErrorThrowing { _ in () }).map { _ in }
        }
        _ = try? await settled.get()
        let opened = try? await eventLoop.submit {
            defer { self.taken = true }
            return self.taken ? nil : self.opened
        }.get()
        guard let opened, let fd = try? await opened.get() else { return }
        let partial = partial
        _ = try? await pool.runIfActive {
            close(fd)
            unlink(partial)
        }
    }

    /// Writes all of `parts`, in order, at the descriptor's offset: `writev` in groups of up to 64 parts, through
    /// short writes and EINTR.
    private static func writeAll(
        _ fd: CInt, _ parts: [ByteBuffer], partial: String, failure: (String) -> HTTPClientError
    ) throws {
        // The parts are kept alive by `parts` for the whole call, so their storage does not move or go.
        var vectors = parts.map { part in
            part.withUnsafeReadableBytes {
                iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count)
            }
        }
        try withExtendedLifetime(parts) {
            var first = 0
            while first < vectors.count {
                let count = min(vectors.count - first, 64)
                let written = vectors.withUnsafeMutableBufferPointer { all in
                    writev(fd, all.baseAddress! + first, CInt(count))
                }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw failure("writing \(partial): \(String(cString: strerror(errno)))")
                }
                // Skip what was written: whole vectors, then the start of a partly written one.
                var left = written
                while left > 0 && first < vectors.count {
                    if left >= vectors[first].iov_len {
                        left -= vectors[first].iov_len
                        first += 1
                    } else {
                        vectors[first].iov_base = vectors[first].iov_base.map { $0 + left }
                        vectors[first].iov_len -= left
                        left = 0
                    }
                }
                while first < vectors.count && vectors[first].iov_len == 0 { first += 1 }
            }
        }
    }
}
