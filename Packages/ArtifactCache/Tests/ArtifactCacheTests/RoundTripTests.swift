import CZlib
import Foundation
import Testing

@testable import ArtifactCache

@Suite(.timeLimit(.minutes(3))) struct RoundTripTests {
    static let probe = 64 * 1024
    static let sizes = [0, 1, 100, probe - 1, probe, probe + 1, 3 * probe + 17, 1 << 20]

    func roundTrip(_ bytes: [UInt8], chunkSize: Int, in directory: String) async throws -> CachedArtifact {
        let cache = try ArtifactCache(directory: directory)
        let artifact = try await cache.put(
            "https://example.com/a", from: UpstreamResponse(body: chunkedBody(bytes, chunkSize: chunkSize)))
        #expect(artifact.metadata.size == Int64(bytes.count))
        #expect(artifact.metadata.sha256 == sha256Hex(bytes))
        #expect(try await collect(artifact.bytes()) == bytes)
        return artifact
    }

    @Test(arguments: sizes, [1, 4096, 100_000])
    func randomBytesReadBackExactlyAndStayRaw(size: Int, chunkSize: Int) async throws {
        let bytes = Fixture.random(size, seed: UInt64(size * 31 + chunkSize))
        try await withTemporaryDirectory { directory in
            let artifact = try await roundTrip(bytes, chunkSize: chunkSize, in: directory)
            #expect(artifact.metadata.storedEncoding == .identity)
            #expect(artifact.metadata.storedSize == Int64(size))
        }
    }

    @Test(arguments: sizes, [1, 4096, 100_000])
    func textReadsBackExactlyAndIsStoredGzip(size: Int, chunkSize: Int) async throws {
        let bytes = Fixture.text(size, seed: UInt64(size + chunkSize))
        try await withTemporaryDirectory { directory in
            let artifact = try await roundTrip(bytes, chunkSize: chunkSize, in: directory)
            if size >= 1000 {
                #expect(artifact.metadata.storedEncoding == .gzip)
                #expect(artifact.metadata.storedSize < Int64(size) / 2)
            }
            if artifact.metadata.storedEncoding == .gzip {
                let stored = try await collect(artifact.storedBytes())
                #expect(try InflateStream.decompress(stored, format: .gzip) == bytes)
            }
        }
    }

    @Test func corpusZipsReadBackExactly() async throws {
        let zips = corpusZips()
        try #require(zips.count >= 10, "corpus not found beside the repository")
        try await withTemporaryDirectory { directory in
            let cache = try ArtifactCache(directory: directory)
            for zip in zips {
                let bytes = try [UInt8](Data(contentsOf: zip))
                let artifact = try await cache.put(
                    zip.path, from: UpstreamResponse(body: chunkedBody(bytes, chunkSize: 7919)))
                #expect(try await collect(artifact.bytes()) == bytes, "\(zip.lastPathComponent)")
                #expect(artifact.metadata.sha256 == sha256Hex(bytes))
            }
        }
    }

    @Test func generatedZipOfRandomDataIsStoredRaw() async throws {
        try await withTemporaryDirectory { directory in
            let input = directory + "/input.bin"
            let zipPath = directory + "/made.zip"
            try Data(Fixture.random(300_000, seed: 9)).write(to: URL(fileURLWithPath: input))
            let process = try Process.run(
                URL(fileURLWithPath: "/usr/bin/zip"), arguments: ["-q", "-j", zipPath, input])
            process.waitUntilExit()
            try #require(process.terminationStatus == 0)
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: zipPath)))
            let cache = try ArtifactCache(directory: directory + "/cache")
            let artifact = try await cache.put(
                "zip", from: UpstreamResponse(body: chunkedBody(bytes, chunkSize: 65536)))
            #expect(artifact.metadata.storedEncoding == .identity)
            #expect(try await collect(artifact.bytes()) == bytes)
        }
    }

    @Test func gzipBlobIsAStandardGzipFileThatGzipAccepts() async throws {
        let bytes = Fixture.text(500_000, seed: 4)
        try await withTemporaryDirectory { directory in
            let cache = try ArtifactCache(directory: directory + "/cache")
            let artifact = try await cache.put("t", from: UpstreamResponse(body: chunkedBody(bytes, chunkSize: 10_000)))
            try #require(artifact.metadata.storedEncoding == .gzip)
            let output = directory + "/out"
            _ = FileManager.default.createFile(atPath: output, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/gzip")
            process.arguments = ["-dc", artifact.path]
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: output))) == bytes)
        }
    }

    @Test(arguments: [StoredEncoding.identity, .gzip])
    func rangesReadTheRightBytes(encoding: StoredEncoding) async throws {
        let bytes = encoding == .gzip ? Fixture.text(700_000, seed: 5) : Fixture.random(700_000, seed: 5)
        try await withTemporaryDirectory { directory in
            let settings = ArtifactCache.Settings(readChunkSize: 50_000)
            let cache = try ArtifactCache(directory: directory, settings: settings)
            let artifact = try await cache.put("r", from: UpstreamResponse(body: chunkedBody(bytes, chunkSize: 65536)))
            try #require(artifact.metadata.storedEncoding == encoding)
            var generator = SeededGenerator(state: 77)
            var ranges: [Range<Int64>] = [0..<0, 0..<1, 699_999..<700_000, 0..<700_000, 123_456..<654_321]
            for _ in 0..<20 {
                let a = Int64.random(in: 0...700_000, using: &generator)
                let b = Int64.random(in: 0...700_000, using: &generator)
                ranges.append(min(a, b)..<max(a, b))
            }
            for range in ranges {
                let got = try await collect(artifact.bytes(range: range))
                #expect(got == Array(bytes[Int(range.lowerBound)..<Int(range.upperBound)]), "\(range)")
            }
            // Ranges beyond the end are clamped.
            #expect(try await collect(artifact.bytes(range: 699_990..<800_000)) == Array(bytes[699_990...]))
        }
    }

    @Test func streamsCanBeIteratedTwiceAndConcurrently() async throws {
        let bytes = Fixture.text(300_000, seed: 6)
        try await withTemporaryDirectory { directory in
            let cache = try ArtifactCache(directory: directory)
            let artifact = try await cache.put("c", from: UpstreamResponse(body: chunkedBody(bytes, chunkSize: 9999)))
            let stream = artifact.bytes()
            async let first = collect(stream)
            async let second = collect(stream)
            let results = try await [first, second]
            #expect(results.allSatisfy { $0 == bytes })
        }
    }
}

@Suite(.timeLimit(.minutes(3))) struct MixedContentTests {
    @Test(arguments: [(true, StoredEncoding.gzip), (false, .identity)])
    func theFirstBytesDecideAndTheRestStillReadsBackExactly(textFirst: Bool, expected: StoredEncoding) async throws {
        let text = Fixture.text(100_000, seed: 21)
        let random = Fixture.random(400_000, seed: 21)
        let bytes = textFirst ? text + random : random + text
        try await withTemporaryDirectory { directory in
            let cache = try ArtifactCache(directory: directory)
            let artifact = try await cache.put("m", from: UpstreamResponse(body: chunkedBody(bytes, chunkSize: 30_000)))
            #expect(artifact.metadata.storedEncoding == expected)
            #expect(try await collect(artifact.bytes()) == bytes)
            #expect(try await collect(artifact.bytes(range: 99_000..<101_000)) == Array(bytes[99_000..<101_000]))
        }
    }

    @Test func storedRangesAreOffsetsIntoTheBlob() async throws {
        let bytes = Fixture.text(200_000, seed: 22)
        try await withTemporaryDirectory { directory in
            let cache = try ArtifactCache(directory: directory)
            let artifact = try await cache.put("s", from: UpstreamResponse(body: chunkedBody(bytes, chunkSize: 65536)))
            let whole = try await collect(artifact.storedBytes())
            #expect(whole.count == Int(artifact.metadata.storedSize))
            #expect(try await collect(artifact.storedBytes(range: 10..<20)) == Array(whole[10..<20]))
            // The stored blob starts with the gzip magic bytes.
            #expect(Array(whole.prefix(2)) == [0x1F, 0x8B])
        }
    }

    @Test func aThresholdAboveOneCompressesEvenRandomData() async throws {
        let bytes = Fixture.random(100_000, seed: 23)
        try await withTemporaryDirectory { directory in
            let cache = try ArtifactCache(directory: directory, settings: .init(compressionThreshold: 2))
            let artifact = try await cache.put("g", from: UpstreamResponse(body: chunkedBody(bytes, chunkSize: 65536)))
            #expect(artifact.metadata.storedEncoding == .gzip)
            #expect(try await collect(artifact.bytes()) == bytes)
        }
    }
}
