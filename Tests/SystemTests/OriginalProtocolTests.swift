import Foundation
import SystemSupport
import Testing

/// A CI pipeline that knows only the original tool: the README's curl commands with JSON bodies carrying the
/// secret (`POST /trigger`, `POST /cache`, `GET /cache` with a body on a GET).
@Suite("Original protocol pipeline", .timeLimit(.minutes(10)))
struct OriginalProtocolTests {
    /// The pipeline's publish job: the README's curl lines (JSON bodies with the secret) to refresh the
    /// server's cache with the new build and read it back, with a body on the GET as the original.
    static let publish = """
        #!/bin/sh
        set -eu
        curl -sf -X POST -d '{"secret": "'$PROSTAGMA_SECRET'", "url": "'$ARTIFACT_URL'"}' $SERVER/cache
        curl -sf -X GET -d '{"secret": "'$PROSTAGMA_SECRET'", "url": "'$ARTIFACT_URL'"}' $SERVER/cache -o "$OUT/cached.html"

        """

    /// The pipeline's deploy job: the seed README's trigger line as printed (its `trigger` key unquoted, which the
    /// compatible `POST /trigger` accepts), with its trigger and server filled in; then a read of the count.
    static let deploy = """
        #!/bin/sh
        set -eu
        curl -sf -X POST -d '{"secret": "'$PROSTAGMA_SECRET'", trigger: "website"}' $SERVER/trigger
        curl -sf -X GET -d '{"secret": "'$PROSTAGMA_SECRET'", "trigger": "website"}' $SERVER/trigger > "$OUT/count.json"

        """

    @Test func originalProtocolPipelineTriggersDeploysAndFillsTheCache() async throws {
        try await SystemHarness.run { harness in
            let origin = try await harness.startOrigin()
            let server = try await harness.startServer()
            let url = try origin.put(Data("<h1>v0</h1>\n".utf8), as: "index.html")
            let www = harness.path("machine/www")
            let deploys = harness.path("machine/deploys.log")
            let agent = try await harness.startAgent(
                "web", server: server, trigger: "website",
                script: """
                    steps:
                      - download:
                          url: \(url)
                          dest: \(www.path)/index.html
                          cache: true
                      - shell: echo "deployed $PROSTAGMA_COUNT" >> \(deploys.path)

                    """)
            try await server.waitForWatchers("website", count: 1)
            let publish = harness.path("publish.sh")
            let deploy = harness.path("deploy.sh")
            try FileSystem.write(Self.publish, to: publish)
            try FileSystem.write(Self.deploy, to: deploy)
            let environment = [
                "PROSTAGMA_SECRET": server.secret, "SERVER": server.baseURL, "ARTIFACT_URL": url,
                "OUT": harness.directory.path,
            ]

            for (round, version) in ["v1", "v2"].enumerated() {
                let body = "<h1>\(version)</h1>\n"
                try origin.put(Data(body.utf8), as: "index.html")
                try await Command.check(["/bin/sh", publish.path], environment: environment)
                // What the pipeline read back from the cache is what the origin served.
                #expect(FileSystem.text(harness.path("cached.html")) == body)
                // The origin moves on; only the cache still has this build.
                try origin.put(Data("<h1>not cached</h1>\n".utf8), as: "index.html")

                try await Command.check(["/bin/sh", deploy.path], environment: environment)
                let count = try #require(
                    (try? JSONSerialization.jsonObject(with: Data(contentsOf: harness.path("count.json"))))
                        as? [String: Any])
                #expect(count["trigger"] as? String == "website")
                #expect(count["count"] as? Int == round + 1)
                // The agent deploys once per trigger, with the cached bytes (cache: true).
                try await Poll.check("deploy \(round + 1) of website", timeout: .seconds(30)) {
                    FileSystem.lines(deploys).count == round + 1
                }
                #expect(FileSystem.text(www.appendingPathComponent("index.html")) == body)
                let run = try await server.waitForRun(of: "website", count: round + 1, agent: agent.name)
                #expect(run.status == "succeeded")
            }
            #expect(FileSystem.lines(deploys) == ["deployed 1", "deployed 2"])
            // The origin saw one GET per POST /cache and none from the agent (served from the cache).
            let originLog = FileSystem.text(origin.process.log) ?? ""
            #expect(originLog.components(separatedBy: "\"GET /index.html").count - 1 == 2, "\(originLog)")
        }
    }

    @Test func originalProtocolRejectsBadSecretsAndAcceptsTheReadmesUnquotedKeyOnlyOnTrigger() async throws {
        try await SystemHarness.run { harness in
            let server = try await harness.startServer()
            let wrong = try await HTTP.request(
                "POST", server.baseURL + "/trigger", body: Data(#"{"secret": "nope", "trigger": "t"}"#.utf8))
            #expect(wrong.status == 403)
            // The README's own line: `trigger: "MY_TRIGGER_NAME"` is JSON5, not JSON; POST /trigger takes it.
            let readme = try await HTTP.request(
                "POST", server.baseURL + "/trigger",
                body: Data(#"{"secret": "\#(server.secret)", trigger: "MY_TRIGGER_NAME"}"#.utf8))
            #expect(readme.status == 200)
            #expect(readme.json?["count"] as? Int == 1)
            #expect(
                FileSystem.text(server.log)?.contains("unquoted key") == true,
                "the server warns about the bare key")
            // Elsewhere strict JSON stands: a clear 400 that says where.
            let cache = try await HTTP.request(
                "POST", server.baseURL + "/cache",
                body: Data(#"{"secret": "\#(server.secret)", url: "http://127.0.0.1:9/x"}"#.utf8))
            #expect(cache.status == 400)
            let detail = (cache.json?["detail"] as? String ?? "").lowercased()
            #expect(detail.contains("line") && detail.contains("column"), "detail: \(detail)")
            // Unknown triggers read 0 with a body on a GET, as the original.
            let unknown = try await HTTP.request(
                "GET", server.baseURL + "/trigger",
                body: Data(#"{"secret": "\#(server.secret)", "trigger": "never-seen"}"#.utf8))
            #expect(unknown.status == 200)
            #expect(unknown.json?["count"] as? Int == 0)
            let state = try await server.state(of: "MY_TRIGGER_NAME")
            #expect(state.count == 1)
        }
    }
}
