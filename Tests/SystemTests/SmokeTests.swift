import Foundation
import SystemSupport
import Testing

/// What `make run` and a first-time operator meet: the server starts in an empty folder with no set-up,
/// and both binaries describe themselves.
@Suite("Smoke", .timeLimit(.minutes(10)))
struct SmokeTests {
    @Test func serverStartsInAnEmptyFolderAndAnswersHealthz() async throws {
        try await SystemHarness.run { harness in
            let cwd = harness.path("empty-cwd")
            try FileSystem.makeDirectory(cwd)
            let port = try FreePort.next()
            var environment = Command.baseEnvironment
            // As `make run`: no secret, no data folder; only a free port instead of 6969 so runs do not collide.
            environment["PROSTAGMA_HOST"] = "127.0.0.1:\(port)"
            let process = try await harness.spawn(
                [try await Binaries.server().path], environment: environment, directory: cwd,
                log: harness.path("server.log"))
            let health = try await Poll.until("/healthz", timeout: .seconds(30), interval: .milliseconds(50)) {
                if let status = process.exitStatus {
                    throw SystemTestError("the server exited \(status): " + FileSystem.tail(harness.path("server.log")))
                }
                return try? await HTTP.get("http://127.0.0.1:\(port)/healthz", timeout: .seconds(2))
            }
            #expect(health.status == 200)
            #expect(health.json?["status"] as? String == "ok")
            #expect((health.json?["epoch"] as? String)?.isEmpty == false)
            var isDirectory: ObjCBool = false
            #expect(
                FileManager.default.fileExists(
                    atPath: cwd.appendingPathComponent("prostagma-data").path, isDirectory: &isDirectory)
                    && isDirectory.boolValue, "the default data folder ./prostagma-data was created")
            // With no secret configured, one is generated into the data folder, readable by its owner only.
            let secretFile = cwd.appendingPathComponent("prostagma-data/secret")
            let attributes = try FileManager.default.attributesOfItem(atPath: secretFile.path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let secret = try #require(FileSystem.text(secretFile)).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(secret.count >= 32)
            let authorized = try await HTTP.get("http://127.0.0.1:\(port)/v1/triggers", bearer: secret)
            #expect(authorized.status == 200)
            #expect(try await HTTP.get("http://127.0.0.1:\(port)/v1/triggers", bearer: "wrong").status == 403)
            #expect(await process.stop() == 0, "SIGTERM is a clean shutdown")
        }
    }

    @Test(arguments: [Binaries.serverName, Binaries.agentName])
    func binaryPrintsHelpAndVersion(_ name: String) async throws {
        let binary = try await Binaries.directory().appendingPathComponent(name)
        let help = try await Command.run([binary.path, "--help"])
        #expect(help.status == 0)
        #expect(help.output.contains("USAGE") || help.output.lowercased().contains("usage"))
        let version = try await Command.run([binary.path, "--version"])
        #expect(version.status == 0)
        #expect(!version.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
    }
}
