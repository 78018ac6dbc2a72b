import Foundation
import ProstagmaProtocol
import SystemSupport
import Testing

/// Rollouts with the real binaries: a canary of 1 deploys alone, the rollout pauses, and the operator's
/// `prostagma-agent rollout NAME promote` lets the rest of the fleet deploy.
@Suite("Rollouts", .timeLimit(.minutes(10)))
struct RolloutTests {
    @Test func aCanaryDeploysAloneUntilTheOperatorPromotesIt() async throws {
        try await SystemHarness.run { harness in
            let server = try await harness.startServer()
            let policy = try await HTTP.request(
                "PUT", server.baseURL + "/v1/triggers/web/policy",
                headers: server.bearer.merging(["Content-Type": "application/json"]) { $1 },
                body: Data(#"{"canary": 1, "max_parallel": 2}"#.utf8))
            try #require(policy.status == 200, "PUT policy: \(policy.text)")

            let deploys = harness.path("machine/deploys.log")
            try FileSystem.makeDirectory(deploys.deletingLastPathComponent())
            let names = ["web-a", "web-b", "web-c"]
            for name in names {
                _ = try await harness.startAgent(
                    name, server: server, trigger: "web",
                    script: "steps:\n  - shell: echo \"\(name) $PROSTAGMA_COUNT\" >> \(deploys.path)\n")
            }
            try await server.waitForWatchers("web", count: 3)
            _ = try await server.trigger("web")

            let binary = try await Binaries.agent()
            let environment = ["PROSTAGMA_HOST": server.baseURL, "PROSTAGMA_SECRET": server.secret]
            // The canary (first by name) runs; then the rollout pauses for the operator.
            try await Poll.check("the canary's run and the pause", timeout: .seconds(30)) {
                let shown = try await Command.run([binary.path, "rollout", "web"], environment: environment)
                return shown.status == 0 && shown.output.hasPrefix("web #1: paused")
            }
            #expect(FileSystem.lines(deploys) == ["web-a 1"], "only the canary deployed")
            let shown = try await Command.check([binary.path, "rollout", "web"], environment: environment)
            #expect(shown.output.contains("web-a  succeeded  (canary)"), "\(shown.output)")
            #expect(shown.output.contains("web-b  waiting"), "\(shown.output)")

            let wrong = try await Command.run([binary.path, "rollout", "web", "restart"], environment: environment)
            #expect(wrong.status != 0 && wrong.errorOutput.contains("unknown action"), "\(wrong.errorOutput)")

            let promoted = try await Command.run([binary.path, "rollout", "web", "promote"], environment: environment)
            #expect(promoted.status == 0, "\(promoted.errorOutput)")
            try await Poll.check("the rest of the fleet", timeout: .seconds(30)) {
                FileSystem.lines(deploys).count == 3
            }
            #expect(Set(FileSystem.lines(deploys)) == Set(names.map { "\($0) 1" }))
            try await Poll.check("the rollout to succeed", timeout: .seconds(30)) {
                let rollout = try JSONDecoder().decode(
                    Rollout.self, from: try await server.get("/v1/triggers/web/rollout").body)
                return rollout.state == .succeeded
            }
            // Promoting a finished rollout is refused with the server's reason.
            let again = try await Command.run([binary.path, "rollout", "web", "promote"], environment: environment)
            #expect(again.status == 3, "\(again.output)\(again.errorOutput)")
        }
    }
}
