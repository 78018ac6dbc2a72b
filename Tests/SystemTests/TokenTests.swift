import Foundation
import SystemSupport
import Testing

/// Issue 19, scoped credentials, with the real binaries: tokens made by `prostagma-server token create` drive an
/// agent (long poll, artifact download, run report) and a CI job (`prostagma-agent trigger`), each only within
/// its scope; the list never shows a secret, and a revoked token stops working while the server runs.
@Suite("Scoped tokens", .timeLimit(.minutes(5)))
struct TokenTests {
    @Test func anAgentAndACIJobWorkWithTokensAndOnlyWithinTheirScopes() async throws {
        try await SystemHarness.run { harness in
            let server = try await harness.startServer()
            let serverBinary = try await Binaries.server().path
            let data = ["--data", server.dataDirectory.path]
            func create(_ name: String, _ scope: String) async throws -> String {
                let result = try await Command.run([serverBinary, "token", "create", name, "--scope", scope] + data)
                #expect(result.status == 0, "token create: \(result.errorOutput)")
                #expect(result.errorOutput.contains("shown only this once"), "\(result.errorOutput)")
                let secret = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(secret.hasPrefix("pst_"), "stdout holds the token alone: \(result.output)")
                return secret
            }
            let agentToken = try await create("agent-web", "agent:web")
            let ciToken = try await create("ci-web", "trigger:web")

            // The agent takes its token where it takes the secret; it downloads through the server too.
            let downloaded = harness.path("machine/openapi.yaml")
            try FileSystem.makeDirectory(downloaded.deletingLastPathComponent())
            _ = try await harness.startAgent(
                "web-1", serverURL: server.baseURL, secret: agentToken, trigger: "web",
                script: """
                    steps:
                      - download:
                          url: \(server.baseURL)/openapi.yaml
                          dest: \(downloaded.path)

                    """)
            try await server.waitForWatchers("web", count: 1)

            let agent = try await Binaries.agent().path
            func ci(_ arguments: [String]) async throws -> CommandResult {
                try await Command.run(
                    [agent] + arguments,
                    environment: ["PROSTAGMA_HOST": server.baseURL, "PROSTAGMA_SECRET": ciToken],
                    timeout: .seconds(120))
            }
            let deploy = try await ci(["trigger", "web", "--wait", "1m"])
            #expect(deploy.status == 0, "the deploy succeeded: \(deploy.errorOutput)\(deploy.output)")
            let run = try await server.waitForRun(of: "web", count: 1, agent: "web-1")
            #expect(run.status == "succeeded")
            #expect(FileManager.default.fileExists(atPath: downloaded.path))

            let other = try await ci(["trigger", "db"])
            #expect(other.status != 0)
            #expect(
                (other.errorOutput + other.output).contains("needs scope trigger:db"),
                "\(other.errorOutput)\(other.output)")
            let release = try await server.get("/v1/triggers/web/releases/1")
            #expect(release.json?["requested_by"] as? String == "ci-web", "\(release.text)")
            let runs = try await HTTP.request(
                "GET", server.baseURL + "/v1/runs", headers: ["Authorization": "Bearer \(agentToken)"])
            #expect(runs.status == 403, "an agent token does not read every run log: \(runs.text)")

            let list = try await Command.run([serverBinary, "token", "list"] + data)
            #expect(list.status == 0)
            #expect(list.output.contains("agent-web") && list.output.contains("agent:web"), "\(list.output)")
            #expect(list.output.contains("ci-web") && list.output.contains("trigger:web"), "\(list.output)")
            #expect(!list.output.contains(ciToken) && !list.output.contains(agentToken))

            let revoke = try await Command.run([serverBinary, "token", "revoke", "ci-web"] + data)
            #expect(revoke.status == 0, "\(revoke.errorOutput)")
            let after = try await HTTP.request(
                "POST", server.baseURL + "/v1/triggers/web", headers: ["Authorization": "Bearer \(ciToken)"])
            #expect(after.status == 403, "a revoked token stops working while the server runs: \(after.text)")
            let again = try await Command.run([serverBinary, "token", "revoke", "ci-web"] + data)
            #expect(again.status != 0)
            #expect(again.errorOutput.contains("no token is named 'ci-web'"), "\(again.errorOutput)")

            let log = FileSystem.text(server.log) ?? ""
            #expect(!log.contains(ciToken) && !log.contains(agentToken), "no token in the server's log")
        }
    }
}
