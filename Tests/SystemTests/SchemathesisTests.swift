import Foundation
import SystemSupport
import Testing

/// schemathesis (from pip) against the server's own `/openapi.yaml` (issue 19 item 13): every check, a bounded
/// number of examples per operation and a fixed seed, so the spec and the code cannot drift apart unnoticed.
/// Tests/Schemathesis/schemathesis.toml keeps waits at 0 (the run takes well under a minute) and names the
/// documented answers a check cannot infer (docs/decisions.md).
@Suite("OpenAPI spec against the server (schemathesis)", .timeLimit(.minutes(10)))
struct SchemathesisTests {
    @Test func schemathesisFindsNoDifferenceBetweenTheSpecAndTheServer() async throws {
        try await SystemHarness.run { harness in
            let server = try await harness.startServer()
            // State for the generated requests to meet: a trigger with releases and a reported run.
            for _ in 0..<2 { try await server.trigger("web") }
            let report = #"{"agent": "web-1", "trigger": "web", "count": 2, "status": "succeeded"}"#
            _ = try await HTTP.request(
                "POST", server.baseURL + "/v1/runs",
                headers: server.bearer.merging(["Content-Type": "application/json"]) { $1 }, body: Data(report.utf8))
            let reports = harness.path("schemathesis")
            // Its working folder too: schemathesis keeps an example database (.schemathesis/) where it runs.
            try FileSystem.makeDirectory(reports)
            let result = try await Command.run(
                [
                    "schemathesis", "--config-file",
                    Repository.root.appendingPathComponent("Tests/Schemathesis/schemathesis.toml").path,
                    "run", server.baseURL + "/openapi.yaml", "--url", server.baseURL,
                    "--checks", "all", "--max-examples", "15",
                    "--seed", "20261130", "--request-timeout", "20",
                    "--header", "Authorization: Bearer \(server.secret)",
                    "--report", "junit", "--report-dir", reports.path,
                ],
                environment: [
                    "NO_COLOR": "1",
                    "PROSTAGMA_SCHEMATHESIS_ARTIFACT": server.baseURL + "/openapi.yaml",
                ], directory: reports, timeout: .seconds(300))
            try FileSystem.write(result.output + result.errorOutput, to: harness.path("schemathesis.log"))
            let summary = result.output.components(separatedBy: "\n").filter {
                !$0.contains("aaaaaaaaaa") && $0.count < 400
            }.suffix(80).joined(separator: "\n")
            #expect(result.output.contains("generated"), "schemathesis ran test cases:\n\(summary)")
            #expect(result.status == 0, "schemathesis found differences (full log in the scenario folder):\n\(summary)")
        }
    }
}
