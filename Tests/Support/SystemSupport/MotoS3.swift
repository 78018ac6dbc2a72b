import Foundation

/// moto's S3 server on 127.0.0.1, driven with the real aws CLI.
///
/// `environment` holds what the aws CLI (and so the Prostagma server's S3 fetches) needs to reach it:
/// `AWS_ENDPOINT_URL`, dummy credentials and a region.
public final class MotoS3: Sendable {
    /// Its port.
    public let port: UInt16
    /// The process.
    public let process: ChildProcess
    /// Environment for the aws CLI: endpoint, dummy credentials, region.
    public let environment: [String: String]

    init(harness: SystemHarness, name: String) async throws {
        port = try FreePort.next()
        let endpoint = "http://127.0.0.1:\(port)"
        environment = [
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
        ]
        process = try await harness.spawn(
            ["moto_server", "-H", "127.0.0.1", "-p", String(port)],
            environment: Command.baseEnvironment, log: harness.path("\(name)/moto.log"))
        let process = self.process
        try await Poll.check("moto_server on port \(port)", timeout: .seconds(30), interval: .milliseconds(100)) {
            if let status = process.exitStatus { throw SystemTestError("moto_server exited \(status)") }
            return (try? await HTTP.get(endpoint + "/", timeout: .seconds(2)))?.status == 200
        }
    }

    /// Runs `aws <arguments>` against this S3 and throws with its output unless it succeeds.
    @discardableResult
    public func aws(_ arguments: [String]) async throws -> CommandResult {
        try await Command.check(["aws"] + arguments, environment: environment, timeout: .seconds(60))
    }

    /// Creates a bucket.
    public func makeBucket(_ bucket: String) async throws {
        try await aws(["s3", "mb", "s3://\(bucket)"])
    }

    /// Uploads a local file to `s3://bucket/key`.
    public func upload(_ file: URL, to url: String) async throws {
        try await aws(["s3", "cp", "--only-show-errors", file.path, url])
    }
}

extension SystemHarness {
    /// Starts moto's S3 server (its log under `<scenario>/<name>/moto.log`).
    public func startS3(name: String = "s3") async throws -> MotoS3 {
        try await MotoS3(harness: self, name: name)
    }
}
