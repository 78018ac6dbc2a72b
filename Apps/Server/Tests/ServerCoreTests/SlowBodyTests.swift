import Foundation
import HTTPCore
import Logging
import ProstagmaProtocol
import Synchronization
import Testing

@testable import ServerCore

@Suite(.timeLimit(.minutes(3))) struct SlowBodyTests {
    /// Issue 19 item 6: `Content-Length: 60000` and a byte a second held a connection for over 90 s. The body
    /// deadline and minimum rate close it, and the close is counted.
    @Test func tricklingBodyIsClosedAndCounted() async throws {
        try await withLiveServer(configure: {
            $0.bodyReadTimeout = .milliseconds(300)
            $0.minimumBodyRate = 1000
        }) { server in
            let port = server.base.split(separator: ":").last.map(String.init) ?? ""
            let output = try await rawExchange(
                port: Int(port) ?? 0,
                """
                import socket, sys, time
                s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
                s.sendall(b"POST /v1/runs HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 60000\\r\\n\\r\\n")
                try:
                    for i in range(600):
                        s.sendall(b"x")
                        time.sleep(0.05)
                    print("still open")
                except OSError:
                    print("closed")
                """)
            #expect(output.contains("closed"), "\(output)")
            try await eventually("the close to be counted") {
                try await scrapeMetrics(server).contains(
                    #"prostagma_http_connection_timeouts_total{reason="body_too_slow"} 1"#)
            }
        }
    }
}
