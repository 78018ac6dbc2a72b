import Foundation
import Testing

@testable import AgentCore

@Suite(.timeLimit(.minutes(5))) struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        ),
    ])
    func matchesTheFIPSVectors(_ message: String, _ digest: String) {
        #expect(SHA256.hex(of: Array(message.utf8)) == digest)
    }

    @Test func aMillionAsInOddChunks() {
        var hasher = SHA256()
        let chunk = [UInt8](repeating: 0x61, count: 997)
        var left = 1_000_000
        while left > 0 {
            let n = min(left, chunk.count)
            hasher.update(chunk[0..<n])
            left -= n
        }
        #expect(SHA256.hex(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

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
