import Foundation
import SystemSupport
import Testing

/// Every archive the corpus MANIFEST marks as an error, unpacked by an agent's `unzip` step: the run fails
/// at that step with a clear message, later steps are skipped, and nothing is written outside `dest`.
@Suite("Malicious archives in an unzip step", .timeLimit(.minutes(10)))
struct MaliciousArchiveTests {
    @Test func corpusManifestListsMaliciousArchives() throws {
        let errors = ZipCorpus.errorEntries()
        try #require(!ZipCorpus.entries().isEmpty, "no MANIFEST.tsv under \(ZipCorpus.root.path)")
        #expect(errors.count >= 10)
        // The classification is the manifest's: spot-check both sides.
        let names = Set(errors.map(\.name))
        for malicious in ["derived/derived-cve-2021-27919.zip", "symlink.zip", "derived/derived-cve-2021-41772.zip"] {
            #expect(names.contains { $0.hasSuffix(malicious) }, "\(malicious) is an error case")
        }
        for fine in ["test.zip", "readme.zip", "derived/derived-r.zip", "test-baddirsz.zip"] {
            #expect(!names.contains { $0.hasSuffix("/" + fine) || $0 == fine }, "\(fine) is not an error case")
        }
    }

    @Test(arguments: ZipCorpus.errorEntries())
    func maliciousArchiveFailsTheRunAndWritesNothingOutsideDest(_ archive: ZipCorpus.Entry) async throws {
        let name = "malicious-" + archive.name.replacingOccurrences(of: "/", with: "-")
        try await SystemHarness.run(name) { harness in
            let server = try await harness.startServer()
            // dest is deep inside a jail, so "../x" and "../../x" land inside the jail where we can see them.
            let jail = harness.path("jail")
            let dest = jail.appendingPathComponent("a/b/dest")
            let incoming = jail.appendingPathComponent("incoming/archive.zip")
            try FileSystem.makeDirectory(dest)
            try FileSystem.makeDirectory(incoming.deletingLastPathComponent())
            try FileManager.default.copyItem(at: archive.file, to: incoming)
            let after = harness.path("after.log")
            _ = try await harness.startAgent(
                "unpacker", server: server, trigger: "unpack",
                script: """
                    steps:
                      - unzip:
                          src: \(incoming.path)
                          dest: \(dest.path)
                          overwrite: true
                      - shell: echo "after unzip $PROSTAGMA_COUNT" >> \(after.path)

                    """)
            try await server.waitForWatchers("unpack", count: 1)
            let outsideBefore = FileSystem.tree(jail).filter { !$0.hasPrefix("a/b/dest/") }
            let victims = ["/test.txt", "/target", "/evil"]
            let victimsBefore = victims.filter { path in FileManager.default.fileExists(atPath: path) }

            let count = try await server.trigger("unpack")
            let run = try await server.waitForRun(of: "unpack", count: count, timeout: .seconds(60))

            #expect(run.status == "failed", "\(archive.name) (\(archive.expectation))")
            let step = try #require(run.steps.first, "the run reports its steps")
            #expect(step.kind == "unzip")
            #expect(step.status == "failed")
            let message = step.message ?? ""
            // A clear message names the problem, not just "error".
            #expect(message.count >= 12, "message for \(archive.name): \(message)")
            #expect(run.steps.dropFirst().allSatisfy { $0.status == "skipped" })
            #expect(FileSystem.lines(after).isEmpty, "the step after the failed unzip did not run")
            let outsideAfter = FileSystem.tree(jail).filter { !$0.hasPrefix("a/b/dest/") }
            #expect(outsideAfter == outsideBefore, "nothing written outside dest by \(archive.name)")
            let victimsAfter = victims.filter { path in FileManager.default.fileExists(atPath: path) }
            #expect(victimsAfter == victimsBefore, "absolute paths written by \(archive.name)")
            // No symlink inside dest points out of it.
            for path in FileSystem.tree(dest) {
                let full = dest.appendingPathComponent(path)
                if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: full.path) {
                    let resolved = URL(fileURLWithPath: target, relativeTo: full.deletingLastPathComponent())
                        .standardizedFileURL.path
                    #expect(resolved.hasPrefix(dest.standardizedFileURL.path + "/"), "\(path) -> \(target)")
                }
            }
        }
    }
}
