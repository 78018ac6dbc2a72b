import Foundation
import SystemSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The support layer checked on its own, with no Prostagma binary: processes, ports, origin, moto + aws CLI.
@Suite("Support layer", .timeLimit(.minutes(10)))
struct SupportSelfTests {
    @Test func stoppingAProcessStopsItsWholeGroup() async throws {
        try await SystemHarness.run { harness in
            let pidFile = harness.path("child.pid")
            let process = try await harness.spawn(
                ["/bin/sh", "-c", "sleep 300 & echo $! > \"$0\"; wait", pidFile.path],
                environment: Command.baseEnvironment, log: harness.path("sh.log"))
            let child = try await Poll.until("the background sleep's pid", timeout: .seconds(10)) {
                FileSystem.text(pidFile).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
            #expect(getpgid(child) == process.pid)
            let status = await process.stop(grace: .seconds(2))
            #expect(status == 128 + SIGTERM)
            try await Poll.check("the grandchild to be gone", timeout: .seconds(10)) {
                kill(child, 0) != 0
                    || (FileSystem.text(URL(fileURLWithPath: "/proc/\(child)/stat")) ?? "")
                        .contains(") Z ")
            }
        }
    }

    @Test func commandCapturesOutputAndStatus() async throws {
        let result = try await Command.run(["/bin/sh", "-c", "echo out; echo err >&2; exit 3"])
        #expect(result.status == 3)
        #expect(result.output == "out\n")
        #expect(result.errorOutput == "err\n")
    }

    @Test func freePortsAreNeverHandedOutTwice() throws {
        let ports = try (0..<20).map { _ in try FreePort.next() }
        #expect(Set(ports).count == ports.count)
        #expect(ports.allSatisfy { $0 > 1024 })
    }

    @Test func pollTimesOutWithWhatItWaitedFor() async throws {
        let error = await #expect(throws: SystemTestError.self) {
            try await Poll.check("a condition that never holds", timeout: .milliseconds(300)) { false }
        }
        #expect(error?.description.contains("a condition that never holds") == true)
    }

    @Test func prometheusTextFindsSamplesByLabels() {
        let text = PrometheusText(
            """
            # HELP prostagma_watchers Open long polls.
            # TYPE prostagma_watchers gauge
            prostagma_watchers{trigger="a"} 2
            prostagma_watchers{trigger="b"} 5
            prostagma_up 1
            """)
        #expect(text.value("prostagma_watchers", labels: ["trigger": "b"]) == 5)
        #expect(text.value("prostagma_up") == 1)
        #expect(text.value("prostagma_watchers", labels: ["trigger": "c"]) == nil)
    }

    @Test func originServesWhatIsPutThere() async throws {
        try await SystemHarness.run { harness in
            let origin = try await harness.startOrigin()
            let url = try origin.put(Data("hello origin\n".utf8), as: "dir/hello.txt")
            let response = try await HTTP.get(url)
            #expect(response.status == 200)
            #expect(response.text == "hello origin\n")
            #expect(try await HTTP.get(origin.baseURL + "/missing").status == 404)
        }
    }

    @Test func motoStoresObjectsThroughTheAwsCLI() async throws {
        try await SystemHarness.run { harness in
            let s3 = try await harness.startS3()
            try await s3.makeBucket("artifacts")
            let file = harness.path("object.bin")
            let bytes = Data((0..<4096).map { UInt8($0 % 251) })
            try bytes.write(to: file)
            try await s3.upload(file, to: "s3://artifacts/releases/object.bin")
            let back = try await s3.aws(["s3", "cp", "s3://artifacts/releases/object.bin", "-"])
            #expect(back.stdout == bytes)
            let missing = try await Command.run(
                ["aws", "s3", "cp", "s3://artifacts/none", "-"], environment: s3.environment)
            #expect(missing.status != 0)
        }
    }

    @Test func harnessStopsEveryProcessItStarted() async throws {
        let process = try await SystemHarness.run { harness in
            try await harness.spawn(
                ["sleep", "300"], environment: Command.baseEnvironment, log: harness.path("sleep.log"))
        }
        #expect(!process.isRunning)
    }
}
