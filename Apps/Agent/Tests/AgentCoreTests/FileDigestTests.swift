import Foundation
import Testing

@testable import AgentCore

/// The file digest a download is checked with when it was not hashed while received (Packages/Digest tests the
/// hash itself).
@Suite(.timeLimit(.minutes(5))) struct FileDigestTests {
    @Test func agreesWithSha256sumOnAFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var bytes = [UInt8](repeating: 0, count: 300_001)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 7) }
        let path = dir.file("blob")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let tool = Process()
        tool.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        tool.arguments = [path]
        let out = Pipe()
        tool.standardOutput = out
        try tool.run()
        let said = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        tool.waitUntilExit()
        #expect(try FileDigest.sha256Hex(of: path) == String(said.prefix(64)))
    }

    /// A download's verification must give up when its step times out, not read on to the end.
    @Test func aCancelledHashOfALargeFileStopsPromptly() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("large")
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        #expect(truncate(path, 200 << 20) == 0, "a sparse 200 MB file")
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = await withTaskGroup(of: Result<String, any Error>?.self) { group in
            group.addTask { await Result { try await FileDigest.sha256Hex(of: path) } }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(100))
                return nil
            }
            var hashed: Result<String, any Error>?
            for await result in group {
                if let result { hashed = result } else { group.cancelAll() }
            }
            return hashed
        }
        let elapsed = clock.now - start
        switch outcome {
        case .failure(let error): #expect(error is CancellationError, "\(error)")
        case .success(let digest): Issue.record("hashed to the end (\(digest)) instead of stopping")
        case nil: Issue.record("no outcome")
        }
        #expect(elapsed < .seconds(10), "hashing went on for \(elapsed)")
    }
}
