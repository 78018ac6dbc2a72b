import Foundation
import Testing

@testable import S3Fetch

/// The process side (argv, streaming, timeout, kill, exit codes) against fake aws scripts.
@Suite(.timeLimit(.minutes(3))) struct FakeCLITests {
    let directory: URL

    init() throws {
        directory = try Shell.temporaryDirectory()
    }

    func fetcher(_ script: String, timeout: Duration = .seconds(30)) throws -> S3Fetcher {
        let path = try Shell.script(script, in: directory)
        return S3Fetcher(awsPath: path, timeout: timeout)
    }

    @Test func missingCLIPathIsReportedWithThePath() async throws {
        let fetcher = S3Fetcher(awsPath: "/nonexistent/bin/aws")
        let url = try S3URL(parsing: "s3://bucket/key")
        let error = await #expect(throws: S3FetchError.self) { _ = try await fetcher.bytes(url, limit: 10) }
        #expect(error?.kind == .cliNotFound)
        #expect(error?.description.contains("/nonexistent/bin/aws") == true)
        #expect(error?.description.contains("s3://bucket/key") == true)
    }

    @Test func cliMissingFromPATHNamesThePATHSearched() throws {
        let fetcher = S3Fetcher(environment: ["PATH": directory.path])
        let error = #expect(throws: S3FetchError.self) { try fetcher.resolveCLI(for: "s3://b1/k") }
        #expect(error?.kind == .cliNotFound)
        #expect(error?.message.contains(directory.path) == true)
    }

    @Test func prostagmaAWSSelectsTheCLI() throws {
        let fetcher = S3Fetcher.fromEnvironment(["PROSTAGMA_AWS": "/opt/aws/bin/aws", "PATH": "/bin"])
        #expect(fetcher.awsPath == "/opt/aws/bin/aws")
        #expect(S3Fetcher.fromEnvironment(["PROSTAGMA_AWS": ""]).awsPath == nil)
    }

    @Test func argumentsArriveAsAVectorNeverThroughAShell() async throws {
        let fetcher = try fetcher("for a in \"$@\"; do printf '%s\\n' \"$a\"; done")
        let url = try S3URL(parsing: "s3://bucket/a key; echo pwned $(id) `id` 'q\"/x")
        let bytes = try await fetcher.bytes(url, limit: 10_000)
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.prefix(4) == ["s3", "cp", "s3://bucket/a key; echo pwned $(id) `id` 'q\"/x", "-"])
    }

    @Test func environmentIsPassedThrough() async throws {
        var fetcher = try fetcher("printf '%s|%s' \"$AWS_ENDPOINT_URL\" \"$AWS_ACCESS_KEY_ID\"")
        fetcher.environment = ["AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "AKIDTEST"]
        let bytes = try await fetcher.bytes(try S3URL(parsing: "s3://bucket/k"), limit: 100)
        #expect(String(decoding: bytes, as: UTF8.self) == "http://127.0.0.1:9|AKIDTEST")
    }

    @Test func outputStreamsInBoundedChunksWithBackPressure() async throws {
        // 8 MiB from the fake CLI, read slowly: at most 4 chunks may wait, the rest stays in the pipe.
        var fetcher = try fetcher("head -c 8388608 /dev/zero")
        fetcher.chunkSize = 64 * 1024
        var iterator = fetcher.object(try S3URL(parsing: "s3://bucket/k")).makeAsyncIterator()
        var total = 0
        var chunks = 0
        while let chunk = try await iterator.next() {
            #expect(chunk.count <= 64 * 1024)
            total += chunk.count
            chunks += 1
            if chunks % 16 == 0 { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(total == 8_388_608)
        #expect(iterator.peakQueuedBytes <= 4 * 64 * 1024)
    }

    @Test func failureAfterSomeBytesThrowsInsteadOfEndingQuietly() async throws {
        let fetcher = try fetcher("printf 'partial'; echo 'connection reset by peer' >&2; exit 3")
        var received: [UInt8] = []
        let error = await #expect(throws: S3FetchError.self) {
            for try await chunk in fetcher.object(try S3URL(parsing: "s3://bucket/k")) { received += chunk }
        }
        #expect(received == Array("partial".utf8))
        #expect(error?.kind == .failed)
        #expect(error?.exitCode == 3)
        #expect(error?.message == "connection reset by peer")
    }

    @Test func stderrIsBoundedEvenWhenTheCLIFloodsIt() async throws {
        var fetcher = try fetcher("head -c 5000000 /dev/zero | tr '\\0' 'e' >&2; echo 'final words' >&2; exit 1")
        fetcher.standardErrorLimit = 1024
        let error = await #expect(throws: S3FetchError.self) {
            _ = try await fetcher.bytes(try S3URL(parsing: "s3://bucket/k"), limit: 10)
        }
        #expect(error?.message.hasSuffix("final words") == true)
        #expect((error?.message.utf8.count ?? .max) < 2048)
        #expect(error?.exitCode == 1)
    }

    @Test func standardErrorPastTheTailKeepsTheExitStatusAndMessage() async throws {
        // Far more than the kept tail, and more than a pipe holds: a collector with a hard limit would throw
        // here and lose the status.
        var fetcher = try fetcher("head -c 300000 /dev/zero | tr '\\0' 'x' >&2; echo 'the real reason' >&2; exit 7")
        fetcher.standardErrorLimit = 4096
        let error = await #expect(throws: S3FetchError.self) {
            _ = try await fetcher.bytes(try S3URL(parsing: "s3://bucket/k"), limit: 10)
        }
        #expect(error?.kind == .failed)
        #expect(error?.exitCode == 7)
        #expect(error?.message.hasSuffix("the real reason") == true, "\(String(describing: error))")
    }

    @Test func theCLIInheritsOnlyStandardInputOutputAndError() async throws {
        let pidFile = directory.appendingPathComponent("cli.pid").path
        // `exec sleep` so that the descriptors looked at are the ones the CLI got, not the shell's own.
        let fetcher = try fetcher("echo $$ > '\(pidFile)'; printf 'ready'; exec sleep 60")
        var iterator = fetcher.object(try S3URL(parsing: "s3://bucket/k")).makeAsyncIterator()
        #expect(try await iterator.next() == Array("ready".utf8))
        let pid = try Shell.readPID(pidFile)
        let execed = await Shell.waitUntil(.seconds(10)) {
            (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) == "sleep\n"
        }
        #expect(execed)
        let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").sorted()
        #expect(descriptors == ["0", "1", "2"])
        _ = consume iterator
        #expect(await Shell.dies(pid))
    }

    @Test func cancellingMidStreamKillsTheCLIsWholeProcessGroup() async throws {
        let pidFile = directory.appendingPathComponent("cli.pid").path
        let childFile = directory.appendingPathComponent("child.pid").path
        let fetcher = try fetcher(
            "sleep 60 & echo $! > '\(childFile)'; echo $$ > '\(pidFile)'; exec yes streaming-forever")
        let received = Shell.Counter()
        let task = Task {
            for try await chunk in fetcher.object(try S3URL(parsing: "s3://bucket/k")) { received.add(chunk.count) }
        }
        let streaming = await Shell.waitUntil(.seconds(20)) {
            received.value > 0 && (try? Shell.readPID(pidFile)) != nil
        }
        #expect(streaming)
        let group = try Shell.readPID(pidFile)
        let child = try Shell.readPID(childFile)
        #expect(Shell.processGroup(of: child) == group)
        task.cancel()
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(await Shell.waitUntil(.seconds(10)) { Shell.liveMembers(ofGroup: group).isEmpty })
    }

    @Test func timeoutKillsTheCLIAndItsChildren() async throws {
        let pidFile = directory.appendingPathComponent("child.pid").path
        let fetcher = try fetcher(
            "sleep 60 & echo $! > '\(pidFile)'; printf 'started'; echo 'waiting forever' >&2; sleep 60",
            timeout: .milliseconds(700))
        var received: [UInt8] = []
        let error = await #expect(throws: S3FetchError.self) {
            for try await chunk in fetcher.object(try S3URL(parsing: "s3://bucket/k")) { received += chunk }
        }
        #expect(error?.kind == .timeout)
        #expect(error?.message.contains("waiting forever") == true)
        #expect(received == Array("started".utf8))
        let child = try Shell.readPID(pidFile)
        // The grandchild held stdout open; the kill must have reached it too (death can take a moment).
        #expect(await Shell.dies(child))
    }

    @Test func stoppingEarlyKillsTheCLI() async throws {
        let pidFile = directory.appendingPathComponent("cli.pid").path
        let fetcher = try fetcher("echo $$ > '\(pidFile)'; exec yes")
        do {
            var iterator = fetcher.object(try S3URL(parsing: "s3://bucket/k")).makeAsyncIterator()
            let first = try await iterator.next()
            #expect(first?.isEmpty == false)
        }
        let pid = try Shell.readPID(pidFile)
        #expect(await Shell.dies(pid))
    }

    @Test func cancellingTheTaskKillsTheCLIAndThrowsCancellation() async throws {
        let pidFile = directory.appendingPathComponent("cli.pid").path
        let fetcher = try fetcher("echo $$ > '\(pidFile)'; exec sleep 60")
        let task = Task {
            try await fetcher.bytes(try S3URL(parsing: "s3://bucket/k"), limit: 10)
        }
        // Cancel once the CLI runs (not after a guessed delay), so the kill path is the one tested.
        #expect(await Shell.waitUntil(.seconds(20)) { (try? Shell.readPID(pidFile)) != nil })
        let pid = try Shell.readPID(pidFile)
        task.cancel()
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(await Shell.dies(pid))
    }
}
