import Foundation
import HTTPCore
import Logging
import ProstagmaProtocol
import Synchronization
import Testing

@testable import ServerCore

@Suite(.timeLimit(.minutes(3))) struct FetchFailureTests {
    /// Issue 19 item 5: refused, unknown host and HTTPS to an HTTP port took 60 to 90 s. They answer 502 at once
    /// with the cause (bounded here well under the 60 s fetch timeout, not timed tightly).
    @Test func fetchFailuresAnswerFastWithTheirCause() async throws {
        let server = try await TestServer(upstreamTimeout: .seconds(60))
        try await withOrigin { origin in
            let closed = try Origin.freePort()
            let plainPort = origin.split(separator: ":").last.map(String.init) ?? ""
            let cases = [
                ("http://127.0.0.1:\(closed)/a.zip", "connection refused by 127.0.0.1:\(closed)"),
                ("http://no-such-host.invalid/a.zip", "no such host 'no-such-host.invalid'"),
                ("https://127.0.0.1:\(plainPort)/ok/a.txt", "TLS handshake with 127.0.0.1:\(plainPort) failed"),
            ]
            for (url, cause) in cases {
                let start = ContinuousClock.now
                let response = try await server.send(.GET, "/v1/artifacts?url=\(percentEncoded(url))", bearer: true)
                #expect(response.status == 502, "\(url): \(response.text)")
                let detail = try response.json()["detail"] as? String ?? ""
                #expect(detail.contains(cause), "\(url): \(detail)")
                #expect(ContinuousClock.now - start < .seconds(15), "\(url) waited for the fetch timeout")
            }
        }
    }
}
