import CZlib
import Crypto
import Foundation

/// Writes one incoming artifact to a temporary file: decides identity or gzip from the first bytes, hashes the
/// original bytes with SHA-256, and fsyncs at the end.
///
/// Not thread-safe: one owner. `ArtifactCache.put` hands it from one Dispatch hop to the next (each awaited before
/// the next starts), never to two threads at once; that is what the unchecked `Sendable` stands for.
final class BlobWriter: @unchecked Sendable {
    struct Result: Sendable {
        var size: Int64
        var sha256: String
        var encoding: StoredEncoding
        var storedSize: Int64
        var temporaryPath: String
    }

    let temporaryPath: String
    private let settings: ArtifactCache.Settings
    private var fd: Int32
    private var hasher = SHA256()
    private var size: Int64 = 0
    private var storedSize: Int64 = 0
    private var probe: [UInt8] = []
    private var decided = false
    private var deflater: DeflateStream?
    private var buffer: [UInt8] = []
    private let bufferLimit = 1 << 20

    init(directory: String, settings: ArtifactCache.Settings) throws {
        self.settings = settings
        temporaryPath = directory + "/tmp-" + FileIO.randomHex() + ".blob.partial"
        fd = try FileIO.openForWriting(temporaryPath)
        probe.reserveCapacity(settings.probeSize)
        buffer.reserveCapacity(bufferLimit)
    }

    deinit {
        if fd >= 0 {
            close(fd)
            FileIO.remove(temporaryPath)
        }
    }

    /// Adds the next piece of the original bytes.
    func write(_ chunk: UnsafeRawBufferPointer) throws {
        guard !chunk.isEmpty else { return }
        hasher.update(bufferPointer: chunk)
        size += Int64(chunk.count)
        if decided {
            try store(chunk)
            return
        }
        let take = min(chunk.count, settings.probeSize - probe.count)
        probe.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<take]))
        if probe.count == settings.probeSize {
            try decide()
            try store(UnsafeRawBufferPointer(rebasing: chunk[take...]))
        }
    }

    /// Completes the blob: flushes, fsyncs, closes. The temporary file stays for the caller to rename.
    func finish() throws -> Result {
        if !decided { try decide() }
        if let deflater {
            try deflater.finish { try append($0) }
        }
        try flush()
        try FileIO.sync(fd, path: temporaryPath)
        close(fd)
        fd = -1
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        return Result(
            size: size, sha256: digest, encoding: deflater == nil ? .identity : .gzip, storedSize: storedSize,
            temporaryPath: temporaryPath)
    }

    private func decide() throws {
        decided = true
        let compress = try probe.withUnsafeBytes {
            try CompressionDecision.shouldCompress(
                probe: $0, level: settings.compressionLevel, threshold: settings.compressionThreshold)
        }
        if compress {
            deflater = try DeflateStream(format: .gzip, level: settings.compressionLevel, chunkSize: 256 * 1024)
        }
        let pending = probe
        probe = []
        try pending.withUnsafeBytes { try store($0) }
    }

    private func store(_ bytes: UnsafeRawBufferPointer) throws {
        guard !bytes.isEmpty else { return }
        if let deflater {
            try deflater.compress(bytes) { try append($0) }
        } else {
            try append(bytes)
        }
    }

    private func append(_ bytes: UnsafeRawBufferPointer) throws {
        storedSize += Int64(bytes.count)
        if bytes.count >= bufferLimit {
            try flush()
            try FileIO.writeAll(fd, bytes, path: temporaryPath)
            return
        }
        if buffer.count + bytes.count > bufferLimit { try flush() }
        buffer.append(contentsOf: bytes)
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try FileIO.writeAll(fd, $0, path: temporaryPath) }
        buffer.removeAll(keepingCapacity: true)
    }
}
