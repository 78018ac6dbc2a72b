import Foundation
import HTTPCore
import Logging
import ProstagmaProtocol
import Synchronization
import Testing

@testable import ServerCore

@Suite(.timeLimit(.minutes(3))) struct FileModeTests {
    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? Int ?? -1) & 0o777
    }

    /// Issue 19 item 12: outside systemd the data directory and cache were 0755, the database and artifacts 0644.
    @Test func dataDirectoryDatabaseCacheAndArtifactsArePrivate() async throws {
        let parent = TemporaryDirectory()
        defer { parent.remove() }
        let data = parent.path + "/fresh/data"
        let previous = umask(0o022)
        defer { umask(previous) }
        var configuration = ServerConfiguration()
        configuration.dataDirectory = data
        configuration.port = 0
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let app = try await ServerApplication.buildApplication(
            configuration: configuration, secret: TestServer.secret, logger: logger, gracefulShutdownSignals: [])
        let quiet = logger
        try await withOrigin { origin in
            let request = HTTPRequest(
                method: .GET, uri: "/v1/artifacts?url=\(percentEncoded(origin + "/ok/a.txt"))",
                headers: ["authorization": "Bearer \(TestServer.secret)"], body: RequestBody())
            let response = await app.router.respond(to: request, context: RequestContext(logger: quiet))
            #expect(response.status == .ok)
            _ = try await response.body.collect()
        }
        _ = try await app.components.increment("web", release: NewRelease(source: .api))
        #expect(try Self.mode(data) == 0o700)
        #expect(try Self.mode(data + "/cache") == 0o700)
        let files = try FileManager.default.contentsOfDirectory(atPath: data).filter { $0 != "cache" }
        #expect(files.contains { $0.hasSuffix("-wal") }, "\(files)")
        for file in files { #expect(try Self.mode(data + "/" + file) == 0o600, "\(file)") }
        let cached = try FileManager.default.contentsOfDirectory(atPath: data + "/cache")
        #expect(cached.contains { $0.hasSuffix(".blob") }, "\(cached)")
        for file in cached { #expect(try Self.mode(data + "/cache/" + file) == 0o600, "\(file)") }
        await app.tearDown()
    }
}
