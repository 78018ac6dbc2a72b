import ArtifactCache
import Crypto
import Foundation

/// A fresh directory under the system temp folder, removed after `body`.
func withTemporaryDirectory<R>(_ body: (String) async throws -> R) async throws -> R {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
        "artifact-cache-tests-\(UUID().uuidString)"
    )
    .path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// The repository root, found from this file's path (Packages/ArtifactCache/Tests/ArtifactCacheTests/Support).
let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Every zip archive under `<repo>/../shared/corpus/zip`.
func corpusZips() -> [URL] {
    let root = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus/zip")
    guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
    return walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "zip" }.sorted { $0.path < $1.path }
}

/// Seeded pseudo-random bytes (SplitMix64), reproducible across runs.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Fixture {
    static func random(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SeededGenerator(state: seed)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// Log-like text: compresses well.
    static func text(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SeededGenerator(state: seed)
        let words = ["deploy", "artifact", "agent", "trigger", "count", "ok", "GET", "/v1/artifacts", "200", "\n"]
        var result: [UInt8] = []
        result.reserveCapacity(count + 32)
        while result.count < count {
            result += Array(words.randomElement(using: &generator)!.utf8)
            result.append(32)
        }
        return Array(result.prefix(count))
    }
}

/// `bytes` cut into chunks of `size` (the last may be shorter), as an upstream body.
func chunkedBody(_ bytes: [UInt8], chunkSize: Int) -> AsyncStream<[UInt8]> {
    let chunks = stride(from: 0, to: bytes.count, by: max(chunkSize, 1)).map {
        Array(bytes[$0..<min($0 + chunkSize, bytes.count)])
    }
    return AsyncStream { continuation in
        for chunk in chunks { continuation.yield(chunk) }
        continuation.finish()
    }
}

/// A body that yields `bytes` and then fails with `error`.
func failingBody(_ bytes: [UInt8], error: any Error) -> AsyncThrowingStream<[UInt8], any Error> {
    AsyncThrowingStream { continuation in
        continuation.yield(bytes)
        continuation.finish(throwing: error)
    }
}

func collect(_ stream: ArtifactByteStream) async throws -> [UInt8] {
    var result: [UInt8] = []
    for try await chunk in stream { result += chunk }
    return result
}

func sha256Hex(_ bytes: [UInt8]) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}

/// The names of files in `directory`, sorted, without the lock file.
func files(in directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0 != ".lock" }.sorted()
}

struct UpstreamFailure: Error, Equatable {
    var reason: String
}
