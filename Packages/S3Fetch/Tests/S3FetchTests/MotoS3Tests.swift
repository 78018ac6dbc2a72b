import Foundation
import Testing

@testable import S3Fetch

/// Fetches through the real aws CLI from a real moto S3 server (one per suite, stopped afterwards).
@Suite(.motoServer, .timeLimit(.minutes(10))) struct MotoS3Tests {
    var moto: MotoServer {
        get throws { try #require(MotoServer.current, "the .motoServer trait starts moto") }
    }

    func fetcher() throws -> S3Fetcher {
        S3Fetcher(awsPath: Shell.aws, environment: try moto.environment, timeout: .seconds(120))
    }

    /// Creates `bucket` (ignoring "already exists") and uploads `file` as `key`.
    func put(_ file: URL, bucket: String, key: String) throws {
        let moto = try moto
        _ = try? moto.aws(["s3api", "create-bucket", "--bucket", bucket])
        try moto.aws(["s3", "cp", "--only-show-errors", file.path, "s3://\(bucket)/\(key)"])
    }

    @Test(arguments: [0, 1024])
    func objectsArriveByteExact(size: Int) async throws {
        let directory = try Shell.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("object")
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try Data(bytes).write(to: file)
        try put(file, bucket: "exact-bucket", key: "objects/\(size).bin")
        let fetched = try await fetcher().bytes(
            try S3URL(parsing: "s3://exact-bucket/objects/\(size).bin"), limit: size + 1)
        #expect(fetched.count == size)
        #expect(fetched == bytes)
    }

    @Test func hundredMegabyteObjectStreamsByteExactWithBoundedBuffering() async throws {
        let size = 100 * 1024 * 1024
        let directory = try Shell.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("big.bin")
        let made = try Shell.run("/bin/sh", ["-c", "head -c \(size) /dev/urandom > '\(file.path)'"])
        #expect(made.status == 0)
        try put(file, bucket: "big-bucket", key: "big.bin")

        // Compare chunk by chunk with the local file, never holding the object in memory.
        let reader = try FileHandle(forReadingFrom: file)
        defer { try? reader.close() }
        var iterator = try fetcher().object(try S3URL(parsing: "s3://big-bucket/big.bin")).makeAsyncIterator()
        var total = 0
        var mismatchAt: Int? = nil
        while let chunk = try await iterator.next() {
            let expected = try reader.read(upToCount: chunk.count) ?? Data()
            if mismatchAt == nil && !expected.elementsEqual(chunk) { mismatchAt = total }
            total += chunk.count
        }
        #expect(total == size)
        #expect(mismatchAt == nil)
        #expect(try reader.read(upToCount: 1)?.isEmpty ?? true)
        #expect(iterator.peakQueuedBytes <= 4 * 64 * 1024)
    }

    @Test func missingKeyIsNoSuchKey() async throws {
        let directory = try Shell.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("present")
        try Data("x".utf8).write(to: file)
        try put(file, bucket: "key-bucket", key: "present")
        let error = await #expect(throws: S3FetchError.self) {
            _ = try await fetcher().bytes(try S3URL(parsing: "s3://key-bucket/absent/file.zip"), limit: 10)
        }
        #expect(error?.kind == .noSuchKey)
        #expect(error?.url == "s3://key-bucket/absent/file.zip")
        #expect(error?.message.contains("404") == true, "the CLI's own words: \(String(describing: error))")
        #expect(error?.exitCode == 1)
    }

    @Test func missingBucketIsNoSuchBucket() async throws {
        let error = await #expect(throws: S3FetchError.self) {
            _ = try await fetcher().bytes(try S3URL(parsing: "s3://no-such-bucket-here/key"), limit: 10)
        }
        #expect(error?.kind == .noSuchBucket)
        #expect(error?.description.contains("s3://no-such-bucket-here/key") == true)
        #expect(error?.message.contains("404") == true)
    }

    @Test func noCredentialsIsReportedWithTheCLIsMessage() async throws {
        let directory = try Shell.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let empty = directory.appendingPathComponent("empty")
        try Data().write(to: empty)
        var environment = try moto.environment
        for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"] {
            environment[name] = nil
        }
        environment["AWS_SHARED_CREDENTIALS_FILE"] = empty.path
        environment["AWS_CONFIG_FILE"] = empty.path
        // The CLI found on PATH (the default), as the server runs it without PROSTAGMA_AWS.
        let fetcher = S3Fetcher(environment: environment, timeout: .seconds(60))
        let error = await #expect(throws: S3FetchError.self) {
            _ = try await fetcher.bytes(try S3URL(parsing: "s3://exact-bucket/objects/0.bin"), limit: 10)
        }
        #expect(error?.kind == .noCredentials)
        #expect(error?.message.contains("Unable to locate credentials") == true)
    }

    @Test func bucketPolicyDenialIsAccessDenied() async throws {
        let moto = try moto
        let directory = try Shell.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("secret")
        try Data("secret".utf8).write(to: file)
        try put(file, bucket: "denied-bucket", key: "secret.txt")
        let policy = """
            {"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject",\
            "Resource":"arn:aws:s3:::denied-bucket/*"}]}
            """
        try moto.aws(["s3api", "put-bucket-policy", "--bucket", "denied-bucket", "--policy", policy])
        let error = await #expect(throws: S3FetchError.self) {
            _ = try await fetcher().bytes(try S3URL(parsing: "s3://denied-bucket/secret.txt"), limit: 100)
        }
        #expect(error?.kind == .accessDenied)
        #expect(error?.message.contains("403") == true)
    }

    @Test func unreachableEndpointIsAnOtherFailureWithExitCode() async throws {
        var environment = try moto.environment
        environment["AWS_ENDPOINT_URL"] = "http://127.0.0.1:1"
        environment["AWS_MAX_ATTEMPTS"] = "1"
        let fetcher = S3Fetcher(awsPath: Shell.aws, environment: environment, timeout: .seconds(60))
        let error = await #expect(throws: S3FetchError.self) {
            _ = try await fetcher.bytes(try S3URL(parsing: "s3://exact-bucket/k"), limit: 10)
        }
        #expect(error?.kind == .failed)
        #expect(error?.exitCode != nil && error?.exitCode != 0)
        #expect(error?.message.contains("127.0.0.1:1") == true, "\(String(describing: error))")
    }
}
