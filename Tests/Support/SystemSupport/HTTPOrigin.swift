import Foundation

/// A real HTTP origin: `python3 -m http.server` serving a folder on 127.0.0.1.
public final class HTTPOrigin: Sendable {
    /// The folder it serves.
    public let root: URL
    /// Its port.
    public let port: UInt16
    /// The process.
    public let process: ChildProcess

    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    init(harness: SystemHarness, name: String) async throws {
        root = harness.path("\(name)/files")
        try FileSystem.makeDirectory(root)
        port = try FreePort.next()
        process = try await harness.spawn(
            ["python3", "-m", "http.server", "--bind", "127.0.0.1", String(port), "--directory", root.path],
            environment: Command.baseEnvironment, log: harness.path("\(name)/origin.log"))
        let process = self.process
        let url = "http://127.0.0.1:\(port)/"
        try await Poll.check("the HTTP origin on port \(port)", timeout: .seconds(15), interval: .milliseconds(50)) {
            if let status = process.exitStatus { throw SystemTestError("python3 -m http.server exited \(status)") }
            return (try? await HTTP.get(url, timeout: .seconds(2)))?.status == 200
        }
    }

    /// Writes a file that the origin then serves at `/<name>`; returns its URL.
    @discardableResult
    public func put(_ data: Data, as name: String) throws -> String {
        let file = root.appendingPathComponent(name)
        try FileSystem.makeDirectory(file.deletingLastPathComponent())
        try data.write(to: file)
        return "\(baseURL)/\(name)"
    }
}

extension SystemHarness {
    /// Starts an HTTP origin whose files live under `<scenario>/<name>/files`.
    public func startOrigin(name: String = "origin") async throws -> HTTPOrigin {
        try await HTTPOrigin(harness: self, name: name)
    }
}
