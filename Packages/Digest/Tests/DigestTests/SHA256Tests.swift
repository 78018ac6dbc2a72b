import CDigest
import Foundation
import Testing

@testable import Digest

@Suite(.timeLimit(.minutes(2))) struct SHA256Tests {
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

    /// Every length around the block and padding boundaries, split at every place: the buffering of partial blocks
    /// must give the digest of the whole message whatever the pieces.
    @Test func everySplitOfMessagesAroundTheBoundariesAgrees() {
        let message = (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for count in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 200] {
            let whole = SHA256.hex(of: message[0..<count])
            for split in 0...count {
                var hasher = SHA256()
                hasher.update(message[0..<split])
                hasher.update(message[split..<count])
                #expect(SHA256.hex(hasher.finalize()) == whole, "length \(count) split at \(split)")
            }
        }
    }

    /// The SHA-NI rounds and the portable rounds give the same state for the same blocks (on a CPU without the
    /// extensions both calls run the portable rounds, and the test says so).
    @Test func acceleratedAndPortableRoundsAgree() {
        var blocks = [UInt8](repeating: 0, count: 64 * 1000)
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in blocks.indices {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            blocks[i] = UInt8(truncatingIfNeeded: seed >> 33)
        }
        let initial: [UInt32] = [
            0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
        ]
        var fast = initial
        var portable = initial
        blocks.withUnsafeBufferPointer { bytes in
            cdigest_sha256_blocks(&fast, bytes.baseAddress, 1000)
            cdigest_sha256_blocks_portable(&portable, bytes.baseAddress, 1000)
        }
        #expect(fast == portable, "accelerated: \(SHA256.isAccelerated)")
        #expect(fast != initial)
    }

    @Test func agreesWithSha256sumOnAFile() throws {
        var bytes = [UInt8](repeating: 0, count: 3_000_001)
        var seed: UInt64 = 42
        for i in bytes.indices {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes[i] = UInt8(truncatingIfNeeded: seed >> 29)
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("digest-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let tool = Process()
        tool.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        tool.arguments = [path]
        let out = Pipe()
        tool.standardOutput = out
        try tool.run()
        let said = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        tool.waitUntilExit()
        // In uneven pieces, as a download arrives.
        var hasher = SHA256()
        var index = 0
        var piece = 1
        while index < bytes.count {
            let end = min(bytes.count, index + piece)
            hasher.update(bytes[index..<end])
            index = end
            piece = piece * 3 % 70_001 + 1
        }
        #expect(SHA256.hex(hasher.finalize()) == String(said.prefix(64)))
    }
}
