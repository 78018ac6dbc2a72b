import Foundation
import ServiceLifecycleTestKit
import Synchronization
import Testing

@testable import AgentCore

/// The real extractor, wrapped to note when its call started and when it returned.
final class WatchedExtractor: ArchiveExtracting, Sendable {
    let inner = ZipExtractor()
    let onStart: @Sendable () -> Void
    let returned = Mutex(false)

    init(onStart: @escaping @Sendable () -> Void = {}) { self.onStart = onStart }

    func extract(src: String, dest: String, overwrite: Bool) async throws -> Int {
        onStart()
        defer { returned.withLock { $0 = true } }
        return try await inner.extract(src: src, dest: dest, overwrite: overwrite)
    }
}

/// An `unzip` step that runs out of time, or is stopped by a shutdown, stops writing at once and leaves
/// `dest` as it was.
@Suite(.timeLimit(.minutes(5))) struct UnzipStopTests {
    static let entries = 60_000

    /// 60,000 files: writing them takes far longer than the step is given (tens of seconds here).
    static func archive(in dir: TemporaryDirectory) throws -> String {
        let bytes = StoredZip.make(count: entries, content: Array("new\n".utf8)) { "d\($0 / 1000)/f\($0).txt" }
        let path = dir.file("many.zip")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(arguments: ["timeout", "shutdown"])
    func aStoppedUnzipStopsPromptlyAndLeavesDestAsItWas(_ how: String) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let src = try Self.archive(in: dir)
        let dest = dir.file("dest")
        try FileManager.default.createDirectory(atPath: dest + "/d0", withIntermediateDirectories: true)
        try dir.write("dest/d0/f0.txt", "old\n")  // in the archive: overwritten only on success
        try dir.write("dest/keep.txt", "mine\n")
        let before = DirectorySnapshot(dest)

        let step = Step(
            .unzip(Unzip(src: src, dest: dest, overwrite: true)),
            timeout: how == "timeout" ? .milliseconds(200) : nil)
        let context = RunContext(trigger: "app", count: 1, epoch: "e1", runID: "r", agent: "a", host: "h")

        let clock = ContinuousClock()
        let start = clock.now
        // The shutdown begins as the extraction starts, as SIGTERM would begin the service's graceful shutdown.
        let (report, extractor) = await testGracefulShutdown { trigger in
            let extractor = WatchedExtractor(onStart: { if how == "shutdown" { trigger.triggerGracefulShutdown() } })
            let executor = RunExecutor(
                shell: "/bin/sh", baseEnvironment: [:], loadScript: { BuildScript(steps: [step]) },
                fetcher: FixedFetcher(bytes: []), extractor: extractor, grace: .milliseconds(200),
                logger: CapturedLog().logger)
            return (await executor.run(context), extractor)
        }
        let elapsed = clock.now - start

        if how == "timeout" {
            #expect(report.steps[0].status == .failed)
            #expect(report.steps[0].message?.contains("timed out") == true, "\(report.steps[0].message ?? "")")
        } else {
            #expect(report.steps[0].status == .cancelled)
        }
        #expect(elapsed < .seconds(10), "the step went on for \(elapsed)")
        #expect(extractor.returned.withLock { $0 }, "the extraction was still running when the step ended")
        let after = DirectorySnapshot(dest)
        #expect(after == before, "dest changed: before \(before), after \(after)")
    }
}
