import AsyncHTTPClient
import Foundation
import HTTPCore
import Logging
import NIOCore
import ProstagmaProtocol
import Testing

@testable import ServerCore

/// A real listening server (port 0) over a temporary data directory, for integration tests.
struct LiveServer: Sendable {
    let base: String
    let components: ServerComponents
    let client: AsyncHTTPClient.HTTPClient

    struct Response: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        func json() throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] ?? [:]
        }
    }

    /// Sends one request over a real connection.
    func send(
        _ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: String? = nil,
        bearer: Bool = false
    ) async throws -> Response {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if bearer { request.headers.add(name: "authorization", value: "Bearer \(TestServer.secret)") }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(90))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return Response(
            status: Int(response.status.code), headers: response.headers, body: Array(bytes.readableBytesView))
    }
}

extension LiveServer {
    /// One v1 long poll of trigger `app` by `agent`, saying it has `after`; answers at once unless `wait` is given.
    func poll(_ agent: String, after: Int64, wait: Double = 0) async throws -> Int64 {
        let epoch = components.store.epoch
        let response = try await send(
            .GET, "/v1/triggers/app?after=\(after)&epoch=\(epoch)&wait=\(wait)",
            headers: [(HeaderName.agent, agent)], bearer: true)
        #expect(response.status == 200, "\(response.text)")
        return try JSONDecoder().decode(TriggerState.self, from: Data(response.body)).count
    }
}

/// Runs `body` against a live server; shuts it down gracefully afterwards.
func withLiveServer<T: Sendable>(
    allowedURLs: [String] = [], upstreamTimeout: Duration = .seconds(30),
    configure: (inout ServerConfiguration) -> Void = { _ in }, logger: Logger? = nil,
    _ body: @Sendable (LiveServer) async throws -> T
) async throws -> T {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    var configuration = ServerConfiguration()
    configuration.dataDirectory = directory.path
    configuration.port = 0
    configuration.allowedURLPrefixes = allowedURLs
    configure(&configuration)
    var quiet = Logger(label: "live")
    quiet.logLevel = .critical
    let logger = logger ?? quiet
    let app = try await ServerApplication.buildApplication(
        configuration: configuration, secret: TestServer.secret, logger: logger, upstreamTimeout: upstreamTimeout,
        gracefulShutdownSignals: [])
    var clientConfiguration = AsyncHTTPClient.HTTPClient.Configuration()
    clientConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 1100
    clientConfiguration.decompression = .disabled
    let client = AsyncHTTPClient.HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.run() }
        do {
            let port = try await app.port
            let result = try await body(
                LiveServer(base: "http://127.0.0.1:\(port)", components: app.components, client: client))
            await app.triggerGracefulShutdown()
            try await client.shutdown()
            try await group.waitForAll()
            return result
        } catch {
            await app.triggerGracefulShutdown()
            try? await client.shutdown()
            try? await group.waitForAll()
            throw error
        }
    }
}

/// A `python3 -m http.server` over a temporary directory, bound to 127.0.0.1 on a free port; its request
/// log (stderr) is kept so tests can count upstream fetches.
final class Origin: Sendable {
    let directory: TemporaryDirectory
    let process: Process
    let port: Int
    let logPath: String

    var base: String { "http://127.0.0.1:\(port)" }

    /// Starts an origin (off the cooperative pool: it waits for the port).
    static func start() async throws -> Origin {
        try await offThePool { try Origin() }
    }

    private init() throws {
        directory = TemporaryDirectory()
        let root = directory.path + "/www"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        logPath = directory.path + "/origin.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        port = try Origin.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-u", "-m", "http.server", "--bind", "127.0.0.1", "--directory", root, String(port),
        ]
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardError = log
        process.standardOutput = log
        try process.run()
        // Wait until it accepts connections.
        for _ in 0..<200 {
            if Origin.canConnect(port) { return }
            usleep(25_000)
        }
        throw ServerError.configuration("the python origin did not start on port \(port)")
    }

    func write(_ name: String, _ contents: String) throws {
        try contents.write(toFile: directory.path + "/www/" + name, atomically: true, encoding: .utf8)
    }

    /// How many GET requests the origin logged for `path`.
    func requests(for path: String) -> Int {
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return log.components(separatedBy: "\n").filter { $0.contains("\"GET \(path) HTTP") }.count
    }

    func stop() {
        // SIGKILL: a child of the test runner may inherit an ignored SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        directory.remove()
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw ServerError.configuration("bind failed") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func canConnect(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

/// Runs a command (off the cooperative pool) and returns its exit status and combined output.
func runCommand(_ arguments: [String], input: String? = nil) async throws -> (status: Int32, output: String) {
    try await offThePool { try runCommandBlocking(arguments, input: input) }
}

private func runCommandBlocking(_ arguments: [String], input: String?) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    let inputPipe = Pipe()
    process.standardInput = inputPipe
    try process.run()
    if let input { inputPipe.fileHandleForWriting.write(Data(input.utf8)) }
    try inputPipe.fileHandleForWriting.close()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
