import Foundation
import ProstagmaProtocol
import SystemSupport
import Testing

/// The original README's deployment example ("Download from S3 and update systemd service"), end to end:
/// moto's S3 holds a release zip, the server fetches it with the aws CLI, agents place it and unpack it
/// (once with the shell's `unzip -o` as in the README, once with our `unzip` step), and "restart" the
/// service, simulated by appending to a marker file.
@Suite("README deployment example", .timeLimit(.minutes(10)))
struct DeploymentExampleTests {
    /// Makes the release zip with Info-ZIP's `zip`: an executable and a config file.
    static func makeRelease(_ version: String, in folder: URL) async throws -> URL {
        let tree = folder.appendingPathComponent("release-\(version)")
        try FileSystem.write("#!/bin/sh\necho chwilwr \(version)\n", to: tree.appendingPathComponent("chwilwr"))
        try FileSystem.write("version = \(version)\n", to: tree.appendingPathComponent("chwilwr.conf"))
        try FileManager.default.setAttributes(
            [.posixPermissions: 0o755], ofItemAtPath: tree.appendingPathComponent("chwilwr").path)
        let zip = folder.appendingPathComponent("chwilwr_dist-\(version).zip")
        try await Command.check(["zip", "-q", "-r", zip.path, "chwilwr", "chwilwr.conf"], directory: tree)
        return zip
    }

    /// The README's script with its paths moved under `root`; `ourUnzip` swaps the shell's unzip for the step.
    static func script(root: URL, ourUnzip: Bool) -> String {
        let zip = root.appendingPathComponent("chwilwr_dist.zip").path
        let bin = root.appendingPathComponent("usr/bin").path
        let restarts = root.appendingPathComponent("restarts.log").path
        let download = """
            # The original README's example; /usr/bin is \(bin) and systemctl restart is simulated.
            steps:
              - download_s3:
                  cache: false
                  url: s3://bradley-chatha/artifacts/chwilwr_dist.zip
                  dest: \(zip)

            """
        if ourUnzip {
            return download + """
                  - unzip:
                      src: \(zip)
                      dest: \(bin)
                      overwrite: true
                  - shell: |
                      rm \(zip)
                      echo "restart chwilwr count=$PROSTAGMA_COUNT" >> \(restarts)

                """
        }
        return download + """
              - shell: |
                  unzip -o \(zip) -d \(bin)/
                  rm \(zip)
                  echo "restart chwilwr count=$PROSTAGMA_COUNT" >> \(restarts)

            """
    }

    @Test func readmeDeploymentExampleRunsEndToEnd() async throws {
        try await SystemHarness.run { harness in
            let s3 = try await harness.startS3()
            try await s3.makeBucket("bradley-chatha")
            let server = try await harness.startServer(environment: s3.environment)

            var agents: [(agent: AgentProcess, root: URL)] = []
            for (name, ourUnzip) in [("shell-unzip", false), ("unzip-step", true)] {
                let root = harness.path("\(name)/machine")
                try FileSystem.makeDirectory(root.appendingPathComponent("usr/bin"))  // exists on a real host
                let agent = try await harness.startAgent(
                    name, server: server, trigger: "chwilwr-\(name)",
                    script: Self.script(root: root, ourUnzip: ourUnzip))
                agents.append((agent, root))
            }
            for (agent, _) in agents {
                try await server.waitForWatchers(agent.trigger, count: 1)
            }

            for (round, version) in ["v1", "v2"].enumerated() {
                let release = try await Self.makeRelease(version, in: harness.directory)
                try await s3.upload(release, to: "s3://bradley-chatha/artifacts/chwilwr_dist.zip")
                for (agent, _) in agents {
                    try await server.trigger(agent.trigger)
                }
                for (agent, root) in agents {
                    let run = try await server.waitForRun(of: agent.trigger, count: round + 1, agent: agent.name)
                    #expect(run.status == "succeeded", "\(agent.name) run \(round + 1): \(run.logTail ?? "")")
                    let binary = root.appendingPathComponent("usr/bin/chwilwr")
                    #expect(FileSystem.text(binary) == "#!/bin/sh\necho chwilwr \(version)\n", "\(agent.name)")
                    #expect(FileManager.default.isExecutableFile(atPath: binary.path), "\(agent.name): mode kept")
                    #expect(
                        FileSystem.text(root.appendingPathComponent("usr/bin/chwilwr.conf")) == "version = \(version)\n"
                    )
                    #expect(
                        !FileManager.default.fileExists(atPath: root.appendingPathComponent("chwilwr_dist.zip").path))
                    let restarts = FileSystem.lines(root.appendingPathComponent("restarts.log"))
                    try #require(
                        restarts == (1...round + 1).map { "restart chwilwr count=\($0)" },
                        "\(agent.name) restarted once per deploy")
                    // Nothing but the unpacked files is left beside them (no temporary download files).
                    #expect(
                        FileSystem.tree(root) == [
                            "restarts.log", "usr", "usr/bin", "usr/bin/chwilwr", "usr/bin/chwilwr.conf",
                        ])
                }
            }
        }
    }
}
