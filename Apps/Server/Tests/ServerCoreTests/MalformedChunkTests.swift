import Foundation
import HTTPCore
import Logging
import ProstagmaProtocol
import Synchronization
import Testing

@testable import ServerCore

@Suite(.timeLimit(.minutes(3))) struct MalformedChunkTests {
    /// Issue 19 item 7: a chunk size of `zz` was a 400 on the wire but a 500 in the log and the metrics.
    @Test func malformedChunkedBodyIsA400InTheMetrics() async throws {
        try await withLiveServer { server in
            let port = server.base.split(separator: ":").last.map(String.init) ?? ""
            let output = try await rawExchange(
                port: Int(port) ?? 0,
                """
                import socket, sys
                s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
                s.sendall(b"POST /v1/triggers/web HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\nzz\\r\\nhello\\r\\n0\\r\\n\\r\\n")
                data = b""
                while b"\\r\\n\\r\\n" not in data:
                    chunk = s.recv(4096)
                    if not chunk: break
                    data += chunk
                print(data.split(b"\\r\\n")[0].decode())
                """)
            #expect(output.hasPrefix("HTTP/1.1 400"), "\(output)")
            try await eventually("the request to be counted") {
                try await scrapeMetrics(server).contains(#"route="/v1/triggers/:name""#)
            }
            let metrics = try await scrapeMetrics(server)
            #expect(!metrics.contains(#"status="500""#), "\(metrics)")
            #expect(metrics.contains(#"method="POST",status="400""#), "\(metrics)")
        }
    }
}
