// Throughput of the cache on one input file: ingest (put from a 1 MiB-chunked file stream, fsync and commit
// included), read-back of the original bytes, and read-back of the stored bytes (what a gzip client is sent).
// Usage: artifact-cache-bench INPUT CACHE-DIRECTORY [LEVEL]
// Prints one tab-separated line: input-bytes stored-bytes encoding ingest-s readback-s stored-read-s
import ArtifactCache
import Foundation

/// A file read in fixed-size chunks, on demand.
struct FileChunks: AsyncSequence {
    typealias Element = [UInt8]
    let path: String

    struct AsyncIterator: AsyncIteratorProtocol {
        let descriptor: Int32

        mutating func next() async throws -> [UInt8]? {
            let fd = descriptor
            let chunk = [UInt8](unsafeUninitializedCapacity: 1 << 20) { buffer, count in
                count = Swift.max(0, read(fd, buffer.baseAddress, buffer.count))
            }
            if chunk.isEmpty {
                close(descriptor)
                return nil
            }
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(descriptor: open(path, O_RDONLY))
    }
}

@main
struct ArtifactCacheBench {
    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = start.duration(to: .now)
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    static func drain(_ stream: ArtifactByteStream) async throws -> Int {
        var total = 0
        for try await chunk in stream { total += chunk.count }
        return total
    }

    static func main() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count >= 3 else {
            FileHandle.standardError.write(Data("usage: artifact-cache-bench INPUT CACHE-DIRECTORY [LEVEL]\n".utf8))
            exit(2)
        }
        let level = arguments.count > 3 ? Int32(arguments[3]) ?? 1 : 1
        let cache = try ArtifactCache(
            directory: arguments[2], settings: .init(maxBytes: 1 << 40, compressionLevel: level, verification: .size))
        var start = ContinuousClock.now
        let entry = try await cache.put(
            "bench://" + arguments[1], from: UpstreamResponse(body: FileChunks(path: arguments[1])))
        let ingest = seconds(since: start)
        start = .now
        let identity = try await drain(entry.bytes())
        let readback = seconds(since: start)
        start = .now
        let stored = try await drain(entry.storedBytes())
        let storedRead = seconds(since: start)
        guard Int64(identity) == entry.metadata.size, Int64(stored) == entry.metadata.storedSize else {
            FileHandle.standardError.write(Data("read-back length mismatch\n".utf8))
            exit(1)
        }
        print(
            [
                "\(entry.metadata.size)", "\(entry.metadata.storedSize)", entry.metadata.storedEncoding.rawValue,
                String(format: "%.3f", ingest), String(format: "%.3f", readback), String(format: "%.3f", storedRead),
            ].joined(separator: "\t"))
    }
}
