import Foundation
import HTTPCore
import Logging
import ProstagmaProtocol
import Synchronization
import Testing

@testable import ServerCore

@Suite(.timeLimit(.minutes(3))) struct CredentialElisionTests {
    /// Issue 19 item 8: `http://user:pw@host/` appeared in a warning line and in `detail`.
    @Test func credentialsInDownloadURLsAreElidedFromDetailAndLog() async throws {
        let server = try await TestServer(upstreamTimeout: .seconds(60))
        let closed = try Origin.freePort()
        let url = "http://deploy:hunter2@127.0.0.1:\(closed)/a.zip"
        let capture = LogCapture()
        let request = HTTPRequest(
            method: .GET, uri: "/v1/artifacts?url=\(percentEncoded(url))",
            headers: ["authorization": "Bearer \(TestServer.secret)"], body: RequestBody())
        let response = await server.router.respond(to: request, context: RequestContext(logger: capture.logger))
        let body = String(buffer: try await response.body.collect())
        #expect(response.status.code == 502)
        #expect(!body.contains("hunter2"), "\(body)")
        #expect(body.contains("http://***@127.0.0.1:\(closed)/a.zip"), "\(body)")
        #expect(capture.text.contains("***@127.0.0.1"), "the warning is still logged: \(capture.text)")
        #expect(!capture.text.contains("hunter2"), "\(capture.text)")
        // Refused URLs (the allow-list) are elided too.
        let listed = try await TestServer(allowedURLs: ["https://artifacts.example.com/"])
        let refused = try await listed.send(
            .GET, "/v1/artifacts?url=\(percentEncoded("https://u:topsecret@other.example.com/a"))", bearer: true)
        #expect(refused.status == 422)
        #expect(!refused.text.contains("topsecret") && refused.text.contains("***@other.example.com"))
    }
}
