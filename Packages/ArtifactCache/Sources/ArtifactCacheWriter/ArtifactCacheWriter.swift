// A writer process for crash tests: stores a deterministic artifact and lets the test kill it with SIGKILL.
// Usage: artifact-cache-writer DIRECTORY URL SIZE SEED text|random [KILL-AT-PHASE|-] [DELAY-MS-PER-MIB]
// Prints "expect SHA256 SIZE", then "progress N" after every MiB, then "committed".
import ArtifactCache
import Crypto
import Foundation
import Synchronization

@main
struct ArtifactCacheWriter {
    static let chunkSize = 64 * 1024

    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Deterministic bytes: xorshift64 words, mapped to a small alphabet for text so it compresses.
    static func chunk(_ index: Int, count: Int, seed: UInt64, text: Bool) -> [UInt8] {
        let letters: [UInt8] = Array("abcdefgh \n".utf8)
        var state = seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15 | 1
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var position = 0
            while position < count {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                var word = state
                for _ in 0..<Swift.min(8, count - position) {
                    let byte = UInt8(truncatingIfNeeded: word)
                    buffer[position] = text ? letters[Int(byte % 10)] : byte
                    word >>= 8
                    position += 1
                }
            }
            initialized = count
        }
    }

    static func main() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count >= 6, let size = Int(arguments[3]), let seed = UInt64(arguments[4]) else {
            FileHandle.standardError.write(Data("usage: artifact-cache-writer DIR URL SIZE SEED text|random\n".utf8))
            exit(2)
        }
        let directory = arguments[1]
        let url = arguments[2]
        let text = arguments[5] == "text"
        let killAt = arguments.count > 6 ? ArtifactCache.CommitPhase(rawValue: arguments[6]) : nil
        let delay = arguments.count > 7 ? Int(arguments[7]) ?? 0 : 0
        let chunkCount = (size + chunkSize - 1) / chunkSize
        let length: @Sendable (Int) -> Int = { Swift.min(chunkSize, size - $0 * chunkSize) }

        var hasher = SHA256()
        for index in 0..<chunkCount { hasher.update(data: chunk(index, count: length(index), seed: seed, text: text)) }
        say("expect \(hasher.finalize().map { String(format: "%02x", $0) }.joined()) \(size)")

        let settings = ArtifactCache.Settings(commitObserver: { phase in
            if phase == killAt {
                say("killing at \(phase.rawValue)")
                kill(getpid(), SIGKILL)
            }
        })
        let cache = try ArtifactCache(directory: directory, settings: settings)
        let next = Mutex<Int>(0)
        let body = AsyncStream<[UInt8]> {
            let index = next.withLock { value in
                defer { value += 1 }
                return value
            }
            guard index < chunkCount else { return nil }
            if index > 0 && (index * chunkSize) % (1 << 20) == 0 {
                say("progress \(index * chunkSize)")
                if delay > 0 { try? await Task.sleep(for: .milliseconds(delay)) }
            }
            return chunk(index, count: length(index), seed: seed, text: text)
        }
        _ = try await cache.put(url, from: UpstreamResponse(expectedSize: Int64(size), body: body))
        say("committed")
    }
}
