import Foundation
import HTTPCore
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(3))) struct TLSMinimumVersionTests {
    /// Connects with TLS limited to `range` and answers whether the handshake completed (true) or was refused.
    static func handshake(port: Int, ca: String, minimum: TLSVersion, maximum: TLSVersion) async throws -> Bool {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(ca)
        tls.minimumTLSVersion = minimum
        tls.maximumTLSVersion = maximum
        tls.certificateVerification = .noHostnameVerification
        let context = try NIOSSLContext(configuration: tls)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        try NIOSSLClientHandler(context: context, serverHostname: nil))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            do {
                try await outbound.write(ByteBuffer(string: "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"))
                for try await chunk in inbound where String(buffer: chunk).contains("HTTP/1.1 200") { return true }
                return false
            } catch {
                return false
            }
        }
    }

    /// The probe negotiated TLS 1.0 and 1.1: a server with TLS refuses both and still speaks 1.2 and 1.3.
    @Test func tlsBelow12IsRefusedByDefault() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (certificate, tls) = try TestCertificate.files(in: directory)
        #expect(tls.minimumVersion == .tls12)
        try await withTestServer(ServerTests.makeRouter(), configure: { $0.tls = tls }) { _, port in
            let tls10 = try await Self.handshake(port: port, ca: certificate, minimum: .tlsv1, maximum: .tlsv1)
            let tls11 = try await Self.handshake(port: port, ca: certificate, minimum: .tlsv11, maximum: .tlsv11)
            let tls12 = try await Self.handshake(port: port, ca: certificate, minimum: .tlsv12, maximum: .tlsv12)
            let tls13 = try await Self.handshake(port: port, ca: certificate, minimum: .tlsv13, maximum: .tlsv13)
            #expect(!tls10, "TLS 1.0 was negotiated")
            #expect(!tls11, "TLS 1.1 was negotiated")
            #expect(tls12, "TLS 1.2 was refused")
            #expect(tls13, "TLS 1.3 was refused")
        }
    }
}
