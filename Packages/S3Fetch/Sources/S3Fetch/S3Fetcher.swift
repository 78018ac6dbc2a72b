import Foundation

/// Fetches `s3://` objects by running the aws CLI (`aws s3 cp s3://bucket/key -`) as an argument vector,
/// never through a shell, and streaming its standard output.
///
/// ```swift
/// let fetcher = S3Fetcher.fromEnvironment()          // PROSTAGMA_AWS, AWS_* passed through
/// for try await chunk in try fetcher.object("s3://my-bucket/app.zip") {
///     try file.write(contentsOf: chunk)
/// }
/// ```
///
/// The CLI sees exactly ``environment`` (by default this process's), so `AWS_ENDPOINT_URL`,
/// `AWS_ACCESS_KEY_ID`, `AWS_PROFILE` and the like reach it unchanged.
public struct S3Fetcher: Sendable {
    /// The aws CLI: a path (with a `/`) used as is, a bare name looked up on `PATH`, or `nil` for `aws`.
    public var awsPath: String?
    /// The complete environment of the CLI.
    public var environment: [String: String]
    /// How long one CLI run may take, start to exit, before it and its children are killed (`SIGKILL`).
    /// A consumer that reads slowly counts against it too.
    public var timeout: Duration
    /// The largest chunk a stream yields.
    public var chunkSize: Int = 64 * 1024
    /// How many bytes of the CLI's standard error are kept for error messages.
    public var standardErrorLimit: Int = 16 * 1024

    /// Creates a fetcher.
    public init(
        awsPath: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
        timeout: Duration = .seconds(600)
    ) {
        self.awsPath = (awsPath?.isEmpty ?? true) ? nil : awsPath
        self.environment = environment
        self.timeout = timeout
    }

    /// A fetcher configured the way the server is: the CLI from `PROSTAGMA_AWS` (default `aws` on `PATH`),
    /// the rest of `environment` passed to it.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment, timeout: Duration = .seconds(600)
    ) -> S3Fetcher {
        S3Fetcher(awsPath: environment["PROSTAGMA_AWS"], environment: environment, timeout: timeout)
    }

    /// The object at `url` as a stream of byte chunks (the CLI starts when iteration starts).
    public func object(_ url: S3URL) -> S3ObjectStream {
        S3ObjectStream(url: url, fetcher: self)
    }

    /// Parses `text` (throwing ``S3FetchError`` `.invalidURL`) and returns its stream.
    public func object(_ text: String) throws(S3FetchError) -> S3ObjectStream {
        object(try S3URL(parsing: text))
    }

    /// The whole object in memory, for small objects; throws `.failed` if it is larger than `limit` bytes.
    public func bytes(_ url: S3URL, limit: Int) async throws -> [UInt8] {
        var result: [UInt8] = []
        for try await chunk in object(url) {
            guard result.count + chunk.count <= limit else {
                throw S3FetchError(.failed, url: url.description, message: "object is larger than \(limit) bytes")
            }
            result += chunk
        }
        return result
    }

    /// The executable that will run, or `.cliNotFound` naming the path or the `PATH` searched.
    public func resolveCLI(for url: String = "") throws(S3FetchError) -> String {
        let name = awsPath ?? "aws"
        if name.contains("/") {
            guard Self.isExecutableFile(name) else {
                throw S3FetchError(.cliNotFound, url: url, message: "\(name) does not exist or is not executable")
            }
            return name
        }
        let path = environment["PATH"] ?? ""
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = directory.hasSuffix("/") ? "\(directory)\(name)" : "\(directory)/\(name)"
            if Self.isExecutableFile(candidate) { return candidate }
        }
        throw S3FetchError(.cliNotFound, url: url, message: "\"\(name)\" is not on PATH (\(path))")
    }

    /// How the CLI would run for `url` with `arguments` (throws `.cliNotFound` when there is no CLI).
    func runner(arguments: [String], for url: S3URL) throws(S3FetchError) -> CLIRunner {
        CLIRunner(
            executable: try resolveCLI(for: url.description), arguments: arguments, environment: environment,
            timeout: timeout, chunkSize: chunkSize, standardErrorLimit: standardErrorLimit, url: url.description)
    }

    /// Starts the CLI and returns the channel its standard output arrives on.
    func start(arguments: [String], for url: S3URL) throws(S3FetchError) -> ChunkChannel {
        let runner = try runner(arguments: arguments, for: url)
        let channel = ChunkChannel(capacity: 4)
        // The stream's iterator pulls while Subprocess's `run` is scoped to a closure, so a task bridges the
        // two. It is not left behind: it ends when the CLI has been reaped, and closing the channel (the
        // consumer went away) cancels it, which kills the CLI's group.
        channel.attach(
            Task {
                let outcome = await runner.run(deliver: { await channel.send($0) }, onTimeout: { channel.refuse() })
                channel.finish(outcome)
            })
        return channel
    }

    /// The typed error for a failed run; a bare 404 is settled by asking whether the bucket exists.
    func error(for outcome: ProcessOutcome, url: S3URL) async -> S3FetchError {
        let message = FailureClassifier.message(from: outcome.standardError)
        if outcome.timedOut {
            let detail = "killed after \(timeout)" + (message.isEmpty ? "" : "; \(message)")
            return S3FetchError(.timeout, url: url.description, message: detail)
        }
        switch FailureClassifier.classify(outcome.standardError) {
        case .kind(let kind):
            return S3FetchError(kind, url: url.description, message: message, exitCode: outcome.exitCode)
        case .notFound:
            let kind = await bucketExists(url) ? S3FetchError.Kind.noSuchKey : .noSuchBucket
            return S3FetchError(kind, url: url.description, message: message, exitCode: outcome.exitCode)
        }
    }

    /// `aws s3api head-bucket`: false only when the store says 404 for the bucket itself.
    func bucketExists(_ url: S3URL) async -> Bool {
        guard let runner = try? runner(arguments: ["s3api", "head-bucket", "--bucket", url.bucket], for: url) else {
            return true
        }
        let outcome = await runner.run(deliver: { _ in true }, onTimeout: {})
        if outcome.succeeded || outcome.launchError != nil { return true }
        let text = outcome.standardError
        return !(text.contains("(404)") || text.contains("Not Found") || text.contains("NoSuchBucket"))
    }

    private static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }
}
