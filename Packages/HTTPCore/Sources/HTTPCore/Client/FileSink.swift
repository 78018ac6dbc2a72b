import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes a stream of chunks to `<path>.partial`, one chunk at a time, then renames it over `path`.
enum FileSink {
    static func write<Body: AsyncSequence>(
        _ body: Body,
        to path: String,
        method: String,
        url: String
    ) async throws -> Int64 where Body.Element == ByteBuffer {
        let partial = path + ".partial"
        let fileIO = NonBlockingFileIO(threadPool: .singleton)
        var written: Int64 = 0
        do {
            try await fileIO.withFileHandle(
                _deprecatedPath: partial,
                mode: .write,
                flags: .allowFileCreation(posixMode: 0o644)
            ) { handle in
                try await fileIO.changeFileSize(fileHandle: handle, size: 0)
                for try await chunk in body {
                    // Awaiting each write is the back-pressure: the next chunk is not read until this one is on disk.
                    try await fileIO.write(fileHandle: handle, buffer: chunk)
                    written += Int64(chunk.readableBytes)
                }
            }
        } catch let error as IOError {
            unlink(partial)
            throw HTTPClientError(kind: .file, method: method, url: url, detail: "writing \(partial): \(error)")
        } catch {
            unlink(partial)
            throw error
        }
        guard rename(partial, path) == 0 else {
            let code = errno
            unlink(partial)
            throw HTTPClientError(
                kind: .file, method: method, url: url, detail: "renaming \(partial) to \(path): errno \(code)")
        }
        return written
    }
}
