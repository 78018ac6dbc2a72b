import Foundation
import Testing

@testable import ArtifactCache

@Suite(.timeLimit(.minutes(1))) struct FileModeTests {
    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? Int ?? -1) & 0o777
    }

    /// Issue 19 item 12: a cache made outside systemd was 0755 with 0644 blobs, readable by every user.
    @Test func theCacheDirectoryIsPrivateAndItsFilesToo() async throws {
        let previous = umask(0o022)
        defer { umask(previous) }
        try await withTemporaryDirectory { parent in
            let directory = parent + "/new/cache"
            let cache = try ArtifactCache(directory: directory)
            let bytes = Fixture.text(10_000, seed: 7)
            _ = try await cache.put(
                "https://example.com/a", from: UpstreamResponse(body: chunkedBody(bytes, chunkSize: 4096)))
            #expect(try Self.mode(directory) == 0o700)
            let files = try FileManager.default.contentsOfDirectory(atPath: directory)
            #expect(files.contains { $0.hasSuffix(".blob") }, "\(files)")
            #expect(files.contains { $0 == ".lock" }, "\(files)")
            for file in files { #expect(try Self.mode(directory + "/" + file) == 0o600, "\(file)") }
        }
    }
}
