import Foundation
import HTTPCore
import Testing

@Suite(.timeLimit(.minutes(3))) struct TLSAndEncodingTests {
    static let gzippedGreeting: [UInt8] = [
        31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 203, 72, 205, 201, 201, 87, 72, 175, 202, 44, 80, 200, 24, 101, 142, 50, 177,
        51, 1, 203, 24, 107, 135, 38, 2, 0, 0,
    ]

    @Test func tlsServerIsReachedWithTheCAFile() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (certificate, tls) = try TestCertificate.files(in: directory)
        try await withTestServer(ServerTests.makeRouter(), configure: { $0.tls = tls }) { _, port in
            try await HTTPClient.withHTTPClient(configuration: .init(caFilePath: certificate)) { client in
                let response = try await client.execute(.GET, "https://127.0.0.1:\(port)/hello")
                #expect(response.text == "hello")
            }
            try await HTTPClient.withHTTPClient(configuration: .init(connectTimeout: .seconds(2))) { client in
                let error = try await #require(throws: HTTPClientError.self) {
                    _ = try await client.execute(.GET, "https://127.0.0.1:\(port)/hello")
                }
                #expect(error.kind == .tls)
            }
        }
    }

    @Test func gzipResponsesAreDecodedByTheClient() async throws {
        var router = Router()
        router.get("/gz") { request, _ in
            #expect(request.headers.first(name: "accept-encoding")?.contains("gzip") == true)
            return HTTPResponse(headers: ["content-encoding": "gzip"], body: ResponseBody(bytes: Self.gzippedGreeting))
        }
        try await withTestServer(router) { _, port in
            try await HTTPClient.withHTTPClient { client in
                let response = try await client.execute(.GET, "http://127.0.0.1:\(port)/gz")
                #expect(response.text == String(repeating: "hello gzip ", count: 50))
            }
        }
    }
}
