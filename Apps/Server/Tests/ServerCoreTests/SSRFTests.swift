import Foundation
import HTTPCore
import Logging
import ProstagmaProtocol
import Synchronization
import Testing

@testable import ServerCore

@Suite(.timeLimit(.minutes(3))) struct SSRFTests {
    /// Issue 19 item 10: by default, link-local and cloud metadata addresses are refused before any connection.
    @Test(arguments: [
        "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[fe80::1]/x", "http://169.254.1.1:8080/x",
    ])
    func linkLocalAndMetadataAreRefusedByDefault(url: String) async throws {
        let server = try await TestServer()
        let response = try await server.send(.GET, "/v1/artifacts?url=\(percentEncoded(url))", bearer: true)
        #expect(response.status == 422, "\(response.text)")
        let detail = try response.json()["detail"] as? String ?? ""
        #expect(detail.contains("PROSTAGMA_DENIED_NETWORKS"), "\(detail)")
    }

    /// Loopback stays allowed by default (agents fetch from internal origins); denying it catches every spelling
    /// of 127.0.0.1, because the check is on the resolved address.
    @Test func denyingLoopbackCatchesEverySpelling() async throws {
        try await withOrigin { origin in
            let port = origin.split(separator: ":").last.map(String.init) ?? ""
            let open = try await TestServer()
            let allowed = try await open.send(
                .GET, "/v1/artifacts?url=\(percentEncoded(origin + "/ok/a.txt"))", bearer: true)
            #expect(allowed.status == 200 && allowed.text == "hello", "\(allowed.text)")

            let server = try await TestServer(deniedNetworks: ["link-local", "metadata", "loopback"])
            for host in ["127.0.0.1", "2130706433", "0x7f.1", "localhost", "127.1"] {
                let url = "http://\(host):\(port)/ok/a.txt"
                let response = try await server.send(.GET, "/v1/artifacts?url=\(percentEncoded(url))", bearer: true)
                #expect(response.status == 422, "\(url): \(response.text)")
                #expect(response.text.contains("127.0.0.0/8"), "\(url): \(response.text)")
            }
        }
    }

    /// A redirect is checked like the first URL: the allow-list on every hop, the denied networks on every address.
    @Test func everyRedirectHopIsChecked() async throws {
        try await withOrigin { origin in
            let listed = try await TestServer(allowedURLs: [origin + "/ok/"])
            let inside = origin + "/ok/redirect?to=" + percentEncoded(origin + "/ok/a.txt")
            let followed = try await listed.send(.GET, "/v1/artifacts?url=\(percentEncoded(inside))", bearer: true)
            #expect(followed.status == 200 && followed.text == "hello", "\(followed.text)")

            let outside = origin + "/ok/redirect?to=" + percentEncoded(origin + "/secret")
            let refused = try await listed.send(.GET, "/v1/artifacts?url=\(percentEncoded(outside))", bearer: true)
            #expect(refused.status == 422, "\(refused.text)")
            #expect(refused.text.contains("redirected to a URL that is refused"), "\(refused.text)")
            #expect(!refused.text.contains("the origin's secret"))

            let open = try await TestServer()
            let metadata = origin + "/ok/redirect?to=" + percentEncoded("http://169.254.169.254/latest/meta-data/")
            let blocked = try await open.send(.GET, "/v1/artifacts?url=\(percentEncoded(metadata))", bearer: true)
            #expect(blocked.status == 422, "\(blocked.text)")
            #expect(blocked.text.contains("169.254.0.0/16"), "\(blocked.text)")
        }
    }

    @Test func deniedNetworksAreConfigured() throws {
        let parsed = try ServerConfiguration.resolve(
            .init(), environment: ["PROSTAGMA_DENIED_NETWORKS": "loopback, 10.1.0.0/16,fd00::/8"])
        #expect(parsed.deniedNetworks.names == ["loopback", "10.1.0.0/16", "fd00::/8"])
        #expect(try ServerConfiguration.resolve(.init(), environment: [:]).deniedNetworks == .default)
        #expect(
            try ServerConfiguration.resolve(.init(), environment: ["PROSTAGMA_DENIED_NETWORKS": "none"])
                .deniedNetworks.denied.isEmpty)
        let error = #expect(throws: ServerError.self) {
            try ServerConfiguration.resolve(.init(), environment: ["PROSTAGMA_DENIED_NETWORKS": "10.0.0.0/33"])
        }
        #expect(error?.detail.contains("'10.0.0.0/33' is neither a CIDR") == true)
    }
}
