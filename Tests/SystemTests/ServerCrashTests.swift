import Foundation
import SystemSupport
import Testing

/// `kill -9` of the server under load: every increment it acknowledged survives the restart.
@Suite("Server crash under load", .timeLimit(.minutes(10)))
struct ServerCrashTests {
    /// The outcome of every request, from curl's `%{http_code} %{exitcode}` lines, one client's after another.
    struct Outcome {
        var acknowledged = 0  // 200
        var inFlight = 0  // each client's first failed request: sent when the kill came, may have committed
        var refused = 0  // later failures: connection refused, never reached a server
        var rejected = 0  // an answer other than 200: the server said no
        var total: Int { acknowledged + inFlight + refused + rejected }

        /// Adds one client's lines. A client has one request in flight at a time, so only its first failure can
        /// have reached the dying server; whatever curl reports for it (a reset, or exit 7 when curl retried a
        /// dead kept-alive connection on a fresh one that was refused), it may have been committed.
        mutating func add(client lines: [Substring]) {
            var failed = false
            for line in lines {
                let fields = line.split(separator: " ")
                guard fields.count == 2 else { continue }
                if fields[1] == "0" {
                    if fields[0] == "200" { acknowledged += 1 } else { rejected += 1 }
                } else if !failed {
                    failed = true
                    inFlight += 1
                } else {
                    refused += 1
                }
            }
        }
    }

    @Test func killingTheServerUnderLoadLosesNoAcknowledgedIncrement() async throws {
        try await SystemHarness.run { harness in
            let server = try await harness.startServer()
            let before = try await server.state(of: "load")
            let clients = 16
            let perClient = 10_000 / clients
            let url = server.baseURL + "/v1/triggers/load"
            let results = try await withThrowingTaskGroup(of: CommandResult.self) { group in
                for _ in 0..<clients {
                    group.addTask {
                        // One curl per client, 625 POSTs on a kept-alive connection; the outcome of each request
                        // goes to stderr, bodies to stdout.
                        try await Command.run(
                            [
                                "curl", "--silent", "--http1.1", "--max-time", "10", "--request", "POST",
                                "--header", "Authorization: Bearer \(server.secret)",
                                "--write-out", "%{stderr}%{http_code} %{exitcode}\\n",
                            ] + Array(repeating: url, count: perClient), timeout: .seconds(180))
                    }
                }
                // Kill while the clients are mid-way.
                try await Poll.check(
                    "1,500 increments before the kill", timeout: .seconds(120), interval: .milliseconds(20)
                ) {
                    (try? await server.state(of: "load").count) ?? 0 >= 1_500
                }
                await server.kill9()
                var all: [CommandResult] = []
                for try await result in group { all.append(result) }
                return all
            }
            var outcome = Outcome()
            for result in results {
                outcome.add(client: result.errorOutput.split(separator: "\n"))
            }
            try #require(outcome.total == 10_000, "one outcome per request")
            #expect(outcome.acknowledged >= 1_500)
            #expect(outcome.acknowledged < 10_000, "the kill happened while clients were still sending")

            try await server.restart()
            let after = try await server.state(of: "load")
            try FileSystem.write(
                "acknowledged \(outcome.acknowledged) in-flight \(outcome.inFlight) refused \(outcome.refused) "
                    + "rejected \(outcome.rejected) count-after-restart \(after.count)\n",
                to: harness.path("outcome.txt"))
            #expect(after.epoch == before.epoch, "the restart kept the database")
            // Every acknowledged increment survived: nothing acknowledged was lost...
            try #require(
                after.count >= outcome.acknowledged,
                "count \(after.count) after restart, \(outcome.acknowledged) answered 200")
            // ...and no increment appeared that was neither acknowledged nor in flight at the kill. (A request
            // committed just before the kill, whose 200 never left, is the only allowed difference: at most one
            // per client.)
            #expect(
                after.count <= outcome.acknowledged + outcome.inFlight,
                "count \(after.count), 200s \(outcome.acknowledged), in flight at the kill \(outcome.inFlight)")
            #expect(outcome.inFlight <= clients)
            // The original protocol reads the same durable count.
            let original = try await HTTP.request(
                "GET", server.baseURL + "/trigger",
                body: Data(#"{"secret": "\#(server.secret)", "trigger": "load"}"#.utf8))
            #expect(original.json?["count"] as? Int == after.count)
        }
    }
}
