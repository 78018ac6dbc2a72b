import Foundation
import HTTPCore
import Logging

@testable import ServerCore

/// A server's components and router over a temporary data directory, driven without a socket.
final class TestServer: Sendable {
    static let secret = "test-secret"
    let directory: String
    let components: ServerComponents
    let router: Router
    /// Whether the data directory goes with this server (false when a test restarts a server on it).
    private let ownsDirectory: Bool

    /// A server over a fresh temporary directory, or over `directory` (kept afterwards) to test a restart.
    init(
        allowedURLs: [String] = [], upstreamTimeout: Duration = .seconds(30), awsPath: String? = nil,
        directory: String? = nil, deniedNetworks: [String]? = nil, configFile: String? = nil
    ) async throws {
        self.ownsDirectory = directory == nil
        self.directory = directory ?? TemporaryDirectory().path
        var configuration = ServerConfiguration()
        configuration.dataDirectory = self.directory
        configuration.port = 0
        configuration.allowedURLPrefixes = allowedURLs
        if let deniedNetworks { configuration.deniedNetworks = try AddressPolicy(parsing: deniedNetworks) }
        configuration.awsPath = awsPath
        configuration.configFile = configFile
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let app = try await ServerApplication.buildApplication(
            configuration: configuration, secret: Self.secret, logger: logger, upstreamTimeout: upstreamTimeout,
            gracefulShutdownSignals: [])
        components = app.components
        router = app.router
    }

    deinit {
        if ownsDirectory { try? FileManager.default.removeItem(atPath: directory) }
    }

    struct Response {
        let status: Int
        let headers: HTTPHeaders
        let body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        func json() throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] ?? [:]
        }
    }

    /// Sends a request through the router (no socket).
    func send(
        _ method: HTTPMethod, _ uri: String, headers: [(String, String)] = [], body: String? = nil,
        bearer: Bool = false
    ) async throws -> Response {
        var httpHeaders = HTTPHeaders(headers)
        if bearer { httpHeaders.add(name: "authorization", value: "Bearer \(Self.secret)") }
        let requestBody = body.map { RequestBody(string: $0) } ?? RequestBody()
        let request = HTTPRequest(method: method, uri: uri, headers: httpHeaders, body: requestBody)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let response = await router.respond(to: request, context: RequestContext(logger: logger))
        let buffer = try await response.body.collect()
        return Response(
            status: Int(response.status.code), headers: response.headers, body: Array(buffer.readableBytesView))
    }
}
