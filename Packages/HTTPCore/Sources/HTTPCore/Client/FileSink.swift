import AsyncHTTPClient
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

/// Sees every byte of a download body, in order, as it is written (to hash it in the same pass). Called on a
/// thread of NIO's blocking pool, one call at a time, never on the cooperative pool.
public typealias DownloadObserver = @Sendable (UnsafeRawBufferPointer) -> Void

/// Receives a download body on its connection's event loop and writes it to `<path>.partial`, then renames that
/// over `path`.
///
/// Body parts are gathered on the event loop, with no task hop per part, into batches of ``batchSize`` bytes.
/// Each batch is written (and shown to the observer) on NIO's blocking pool while the next one is received. The
/// back-pressure: once a batch is full while the one before it is still being written, the connection reads no more
/// until that write ends. So at most three batches exist at a time (one written, one queued, one gathering).
///
/// Only a status the caller accepts (2xx, or any with `writeAnyStatus`) opens the file; another status's body is
/// dropped as it arrives. Every member is touched on `eventLoop` only, which AsyncHTTPClient calls the delegate on
/// (the request is made with `.delegate(on: eventLoop)`).
final class FileSink: HTTPClientResponseDelegate, @unchecked Sendable {
    typealias Response = HTTPResponseHead

    /// Bytes gathered before a write: large enough that a hop costs little, small enough to stay cheap in memory.
    static let batchSize = 1 << 20

    let eventLoop: any EventLoop
    private let path: String
    private let partial: String
    private let writeAnyStatus: Bool
    private let observe: DownloadObserver?
    private let failure: @Sendable (String) -> HTTPClientError
    private let pool = NIOThreadPool.singleton

    private var head: HTTPResponseHead?
    /// The open `.partial` file; -1 before it is opened and once `finish` or `abandon` has taken it.
    private var descriptor: CInt = -1
    private var abandoned = false
    private var batch = ByteBuffer()
    /// The last write scheduled; each write is chained after the one before it.
    private var lastWrite: EventLoopFuture<Void>?
    private(set) var bytesWritten: Int64 = 0
    private(set) var writesFile = false

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

    func didReceiveHead(task: AsyncHTTPClient.HTTPClient.Task<Response>, _ head: HTTPResponseHead) -> EventLoopFuture<
        Void
    > {
        self.head = head
        guard (200..<300).contains(head.status.code) || writeAnyStatus else {
            return eventLoop.makeSucceededVoidFuture()
        }
        writesFile = true
        batch = ByteBufferAllocator().buffer(capacity: Self.batchSize)
        let partial = partial
        let failure = failure
        return pool.runIfActive(eventLoop: eventLoop) { () throws -> CInt in
            let fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw failure("creating \(partial): \(String(cString: strerror(errno)))") }
            return fd
        }.map { fd in
            if self.abandoned {
                // The download failed while the file was being opened: nothing will write or close it.
                self.pool.submit { _ in
                    close(fd)
                    unlink(partial)
                }
            } else {
                self.descriptor = fd
            }
        }
    }

    func didReceiveBodyPart(task: AsyncHTTPClient.HTTPClient.Task<Response>, _ buffer: ByteBuffer) -> EventLoopFuture<
        Void
    > {
        guard writesFile else { return eventLoop.makeSucceededVoidFuture() }
        batch.writeImmutableBuffer(buffer)
        guard batch.readableBytes >= Self.batchSize else { return eventLoop.makeSucceededVoidFuture() }
        let before = lastWrite ?? eventLoop.makeSucceededVoidFuture()
        scheduleWrite()
        return before
    }

    func didFinishRequest(task: AsyncHTTPClient.HTTPClient.Task<Response>) throws -> HTTPResponseHead {
        // Only reached with a head: AsyncHTTPClient reports a response without one as an error.
        guard let head else { throw failure("the response ended without a head") }
        return head
    }

    /// Writes the batch gathered so far after the writes before it.
    private func scheduleWrite() {
        guard batch.readableBytes > 0 else { return }
        let bytes = batch
        batch = ByteBufferAllocator().buffer(capacity: Self.batchSize)
        bytesWritten += Int64(bytes.readableBytes)
        let (fd, partial, observe, failure, pool, loop) = (descriptor, partial, observe, failure, pool, eventLoop)
        let before = lastWrite ?? eventLoop.makeSucceededVoidFuture()
        lastWrite = before.flatMap {
            pool.runIfActive(eventLoop: loop) {
                try bytes.withUnsafeReadableBytes { raw in
                    try Self.writeAll(fd, raw, partial: partial, failure: failure)
                    observe?(raw)
                }
            }
        }
    }

    /// After a complete response: writes the rest, waits for every write, closes the file and renames it into place.
    func finish() async throws {
        let writes = eventLoop.flatSubmit {
            self.scheduleWrite()
            return self.lastWrite ?? self.eventLoop.makeSucceededVoidFuture()
        }
        do {
            try await writes.get()
        } catch {
            await abandon()
            throw error
        }
        let (fd, path, partial, failure) = try await eventLoop.submit {
            defer { self.descriptor = -1 }
            return (self.descriptor, self.path, self.partial, self.failure)
        }.get()
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
            (self.lastWrite ?? self.eventLoop.makeSucceededVoidFuture()).flatMapErrorThrowing { _ in () }
        }
        _ = try? await settled.get()
        let taken = try? await eventLoop.submit {
            self.abandoned = true
            defer { self.descriptor = -1 }
            return (self.descriptor, self.partial)
        }.get()
        guard let (fd, partial) = taken, fd >= 0 else { return }
        _ = try? await pool.runIfActive {
            close(fd)
            unlink(partial)
        }
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
