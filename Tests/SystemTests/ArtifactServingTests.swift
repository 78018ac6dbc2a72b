import Foundation
import SystemSupport
import Testing

/// The server's artifact answers over a real socket, read by the real curl: a raw blob goes out with `sendfile`
/// (whole, ranged and HEAD), a compressible one as its stored gzip or inflated, and a connection serves on after each.
@Suite("Artifact answers over a socket", .timeLimit(.minutes(5)))
struct ArtifactServingTests {
    static func bytes(_ count: Int, seed: UInt64) -> Data {
        var state = seed
        return Data(
            (0..<count).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return UInt8(truncatingIfNeeded: state >> 33)
            })
    }

    @Test func wholeRangedHeadAndGzipAnswersAreByteExact() async throws {
        try await SystemHarness.run { harness in
            let origin = try await harness.startOrigin()
            let server = try await harness.startServer()
            let blob = Self.bytes(3_000_001, seed: 7)
            let text = Data((0..<60_000).map { "line \($0): deploy step finished\n" }.joined().utf8)
            let blobURL = try origin.put(blob, as: "blob.bin")
            let textURL = try origin.put(text, as: "log.txt")
            func artifact(_ url: String) -> String {
                let encoded = url.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? url
                return server.baseURL + "/v1/artifacts?url=\(encoded)&cache=true"
            }

            let whole = try await HTTP.request("GET", artifact(blobURL), headers: server.bearer)
            #expect(whole.status == 200)
            #expect(whole.body == blob, "\(whole.body.count) bytes of \(blob.count)")
            #expect(whole.headers["content-length"] == "\(blob.count)")

            var ranged = server.bearer
            ranged["Range"] = "bytes=1000-2999999"
            let part = try await HTTP.request("GET", artifact(blobURL), headers: ranged)
            #expect(part.status == 206)
            #expect(part.headers["content-range"] == "bytes 1000-2999999/\(blob.count)")
            #expect(part.body == blob.subdata(in: 1000..<3_000_000))

            let head = try await HTTP.request("HEAD", artifact(blobURL), headers: server.bearer)
            #expect(head.status == 200)
            #expect(head.headers["content-length"] == "\(blob.count)")
            #expect(head.body.isEmpty)

            // Three answers on one keep-alive connection: the whole blob, its last byte, then the text as stored gzip
            // (curl inflates it with --compressed); each file must be exact, so no answer bled into the next.
            let out = harness.path("out")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            let common = [
                "--silent", "--show-error", "--fail", "--http1.1", "--header", "Authorization: Bearer \(server.secret)",
                "--write-out", "%{num_connects} %{http_code}\\n",
            ]
            let result = try await Command.check(
                ["curl"] + common + ["-o", out.appendingPathComponent("a").path, artifact(blobURL), "--next"]
                    + common
                    + ["--range", "3000000-", "-o", out.appendingPathComponent("b").path, artifact(blobURL), "--next"]
                    + common + ["--compressed", "-o", out.appendingPathComponent("c").path, artifact(textURL)],
                timeout: .seconds(60))
            let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
            // curl counts a new connection only for a transfer that did not reuse the first one.
            #expect(lines == ["1 200", "0 206", "0 200"], "\(lines)")
            #expect(try Data(contentsOf: out.appendingPathComponent("a")) == blob)
            #expect(try Data(contentsOf: out.appendingPathComponent("b")) == blob.suffix(1))
            #expect(try Data(contentsOf: out.appendingPathComponent("c")) == text)

            // Asked with gzip, the compressible artifact comes as the stored gzip blob; without, inflated.
            var gzip = server.bearer
            gzip["Accept-Encoding"] = "gzip"
            let stored = try await HTTP.request("GET", artifact(textURL), headers: gzip)
            #expect(stored.headers["content-encoding"] == "gzip")
            #expect(stored.body.count < text.count / 4, "\(stored.body.count) bytes stored for \(text.count)")
            let inflated = try await HTTP.request("GET", artifact(textURL), headers: server.bearer)
            #expect(inflated.headers["content-encoding"] == nil)
            #expect(inflated.body == text)
        }
    }
}
