import Foundation
import HTTPCore
import Logging
import ProstagmaProtocol
import Synchronization
import Testing

@testable import ServerCore

/// Keeps every log line (message and metadata) for assertions.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])
    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    var logger: Logger {
        var logger = Logger(label: "capture") { _ in Handler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let fields = (event.metadata ?? [:]).merging(metadata) { a, _ in a }
            capture.lines.withLock { $0.append("\(event.level) \(event.message) \(fields)") }
        }
    }
}

/// An in-process HTTP origin on 127.0.0.1 (HTTPCore's server): `/ok/a.txt`, `/secret`, and `/redirect?to=URL`.
func withOrigin<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
    var router = Router()
    router.get("/ok/a.txt") { _, _ in HTTPResponse(text: "hello") }
    router.get("/secret") { _, _ in HTTPResponse(text: "the origin's secret") }
    router.get("/ok/redirect") { request, _ in
        HTTPResponse(status: .found, headers: ["location": request.query["to"] ?? "/"])
    }
    let server = HTTPServer(
        router: router, configuration: .init(host: "127.0.0.1", port: 0, accessLogLevel: nil),
        logger: Logger(label: "origin"))
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            try await server.run()
            return nil
        }
        defer { server.triggerGracefulShutdown() }
        let port = try await server.port
        return try await body("http://127.0.0.1:\(port)")
    }
}

func percentEncoded(_ url: String) -> String {
    url.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? url
}

/// Sends raw bytes with python3 (byte-level control) and returns what came back.
func rawExchange(port: Int, _ script: String) async throws -> String {
    let result = try await runCommand(["python3", "-c", script, String(port)])
    #expect(result.status == 0, "\(result.output)")
    return result.output
}

func scrapeMetrics(_ server: LiveServer) async throws -> String {
    try await server.send(.GET, "/metrics").text
}
