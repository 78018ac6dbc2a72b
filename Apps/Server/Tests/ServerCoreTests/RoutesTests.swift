import Foundation
import HTTPCore
import Testing

@testable import ServerCore

@Suite(.timeLimit(.minutes(2))) struct RoutesTests {
    @Test func theOriginalREADMEsCommandWorksWithTheKeyQuoted() async throws {
        let server = try await TestServer()
        let body = #"{"secret": "test-secret", "trigger": "MY_TRIGGER_NAME"}"#
        let first = try await server.send(.POST, "/trigger", body: body)
        #expect(first.status == 200)
        #expect(try first.json()["count"] as? Int == 1)
        _ = try await server.send(.POST, "/trigger", body: body)
        let read = try await server.send(.GET, "/trigger", body: body)
        #expect(read.status == 200)
        #expect(try read.json()["count"] as? Int == 2)
        #expect(try read.json()["trigger"] as? String == "MY_TRIGGER_NAME")
    }

    @Test func theREADMEsUnquotedKeyIsTakenOnTriggerAndGetsAHelpful400Elsewhere() async throws {
        let server = try await TestServer()
        let readme = try await server.send(.POST, "/trigger", body: #"{"secret": "test-secret", trigger: "MY"}"#)
        #expect(readme.status == 200)
        #expect(try readme.json()["count"] as? Int == 1)
        let read = try await server.send(.GET, "/trigger", body: #"{secret: "test-secret", trigger: "MY"}"#)
        #expect(try read.json()["count"] as? Int == 1)
        let response = try await server.send(.POST, "/cache", body: #"{"secret": "test-secret", url: "http://x/"}"#)
        #expect(response.status == 400)
        let json = try response.json()
        #expect(json["error"] as? String == "malformed_json")
        #expect(
            json["detail"] as? String == "line 1, column 27: object keys must be double-quoted strings (found 'url')")
        let broken = try await server.send(.POST, "/trigger", body: #"{"secret": "test-secret", trigger "MY"}"#)
        #expect(broken.status == 400)
        #expect(
            try broken.json()["detail"] as? String
                == "line 1, column 27: object keys must be double-quoted strings (found 'trigger')")
    }

    @Test func badSecretIs403AndMissingIs401() async throws {
        let server = try await TestServer()
        #expect(try await server.send(.POST, "/trigger", body: #"{"secret": "nope", "trigger": "a"}"#).status == 403)
        #expect(try await server.send(.GET, "/trigger", body: #"{"trigger": "a"}"#).status == 401)
        #expect(try await server.send(.GET, "/v1/triggers/a").status == 401)
        #expect(
            try await server.send(.GET, "/v1/triggers/a", headers: [("Authorization", "Bearer nope")]).status == 403)
        #expect(server.components.hub.current("a").count == 0)
    }

    @Test func unknownTriggersReadZero() async throws {
        let server = try await TestServer()
        let response = try await server.send(.GET, "/trigger", body: #"{"secret": "test-secret", "trigger": "new"}"#)
        #expect(try response.json()["count"] as? Int == 0)
    }

    @Test func v1IncrementAnswersWithTheEpoch() async throws {
        let server = try await TestServer()
        let response = try await server.send(.POST, "/v1/triggers/app", bearer: true)
        #expect(response.status == 200)
        let json = try response.json()
        #expect(json["count"] as? Int == 1)
        #expect(json["epoch"] as? String == server.components.store.epoch)
    }

    @Test func webhooksAuthenticateWithSignatureOrToken() async throws {
        let server = try await TestServer()
        let body = #"{"ref": "refs/heads/main"}"#
        let signature = Authenticator(secret: TestServer.secret).hubSignature(for: Array(body.utf8))
        let github = try await server.send(
            .POST, "/v1/triggers/app", headers: [("X-Hub-Signature-256", signature)], body: body)
        #expect(github.status == 200)
        let forged = try await server.send(
            .POST, "/v1/triggers/app", headers: [("X-Hub-Signature-256", signature)], body: body + " ")
        #expect(forged.status == 403)
        let gitlab = try await server.send(.POST, "/v1/triggers/app", headers: [("X-Gitlab-Token", TestServer.secret)])
        #expect(gitlab.status == 200)
        #expect(server.components.hub.current("app").count == 2)
    }

    @Test func longPollAnswersAtOnceWhenBehindOrEpochDiffers() async throws {
        let server = try await TestServer()
        _ = try await server.send(.POST, "/v1/triggers/app", bearer: true)
        let epoch = server.components.store.epoch
        let behind = try await server.send(.GET, "/v1/triggers/app?after=0&epoch=\(epoch)&wait=30", bearer: true)
        #expect(try behind.json()["count"] as? Int == 1)
        let otherEpoch = try await server.send(.GET, "/v1/triggers/app?after=1&epoch=zzz&wait=30", bearer: true)
        #expect(try otherEpoch.json()["count"] as? Int == 1)
        let plain = try await server.send(.GET, "/v1/triggers/app", bearer: true)
        #expect(try plain.json()["last_increment"] as? String != nil)
    }

    @Test func longPollWakesOnIncrement() async throws {
        let server = try await TestServer()
        let epoch = server.components.store.epoch
        async let poll = server.send(
            .GET, "/v1/triggers/app?after=0&epoch=\(epoch)&wait=30",
            headers: [("X-Prostagma-Agent", "web-1"), ("X-Prostagma-Host", "web-1.internal")], bearer: true)
        try await eventually("the long poll to be open") {
            server.components.hub.watcherCounts()["app", default: 0] >= 1
        }
        let metrics = try await server.send(.GET, "/metrics").text
        #expect(metrics.contains(#"prostagma_watchers{trigger="app"} 1"#))
        #expect(metrics.contains(#"prostagma_agents{state="live"} 1"#))
        _ = try await server.send(.POST, "/v1/triggers/app", bearer: true)
        let answer = try await poll
        #expect(try answer.json()["count"] as? Int == 1)
        let agents = try await server.send(.GET, "/v1/agents", bearer: true).json()
        let list = try #require(agents["agents"] as? [[String: Any]])
        #expect(list.first?["name"] as? String == "web-1")
        #expect(list.first?["host"] as? String == "web-1.internal")
        #expect(list.first?["triggers"] as? [String] == ["app"])
        #expect(list.first?["state"] as? String == "live")
    }

    /// An agent counts as polling (live whatever the time) while its poll waits, and no longer once the poll has
    /// its answer, whether an increment or the deadline ended the wait (the router waits; the route's answer after
    /// the wait uncounts it).
    @Test func anAgentCountsAsPollingOnlyWhileItsPollWaits() async throws {
        let server = try await TestServer()
        let epoch = server.components.store.epoch
        func liveness(_ name: String) -> AgentRegistry.Liveness? {
            // Far in the future: only an open poll keeps an agent live then.
            server.components.agents.snapshot(now: Date().addingTimeInterval(86_400 * 365))
                .first { $0.record.name == name }?.liveness
        }
        async let poll = server.send(
            .GET, "/v1/triggers/app?after=0&epoch=\(epoch)&wait=30", headers: [("X-Prostagma-Agent", "web-2")],
            bearer: true)
        try await eventually("the long poll to be open") {
            server.components.hub.watcherCounts()["app", default: 0] >= 1
        }
        #expect(liveness("web-2") == .live)
        _ = try await server.send(.POST, "/v1/triggers/app", bearer: true)
        #expect(try await poll.status == 200)
        #expect(liveness("web-2") == .stale)

        let timedOut = try await server.send(
            .GET, "/v1/triggers/app?after=1&epoch=\(epoch)&wait=0.05", headers: [("X-Prostagma-Agent", "web-3")],
            bearer: true)
        #expect(try timedOut.json()["count"] as? Int == 1)
        #expect(liveness("web-3") == .stale)
    }

    @Test func longPollTimesOutWithTheUnchangedState() async throws {
        let server = try await TestServer()
        let epoch = server.components.store.epoch
        let answer = try await server.send(.GET, "/v1/triggers/app?after=0&epoch=\(epoch)&wait=0.05", bearer: true)
        #expect(answer.status == 200)
        #expect(try answer.json()["count"] as? Int == 0)
    }

    @Test func triggerListHasEveryTrigger() async throws {
        let server = try await TestServer()
        _ = try await server.send(.POST, "/v1/triggers/b", bearer: true)
        _ = try await server.send(.POST, "/v1/triggers/a", bearer: true)
        let json = try await server.send(.GET, "/v1/triggers", bearer: true).json()
        let triggers = try #require(json["triggers"] as? [[String: Any]])
        #expect(triggers.map { $0["trigger"] as? String } == ["a", "b"])
        #expect(json["epoch"] as? String == server.components.store.epoch)
    }

    @Test func runsAreStoredAndListed() async throws {
        let server = try await TestServer()
        let run = """
            {"id": "r1", "agent": "web-1", "host": "web-1.internal", "trigger": "app", "count": 1,
             "status": "failed", "started_at": "2026-11-25T10:00:00.000Z", "finished_at": "2026-11-25T10:00:03.250Z",
             "steps": [{"index": 0, "kind": "shell", "status": "failed", "duration_seconds": 1.5, "exit_code": 2,
                        "message": null}],
             "log_tail": "<script>alert(1)</script>"}
            """
        let created = try await server.send(.POST, "/v1/runs", body: run, bearer: true)
        #expect(created.status == 201)
        #expect(try created.json()["id"] as? String == "r1")
        let listed = try await server.send(.GET, "/v1/runs?trigger=app", bearer: true).json()
        let runs = try #require(listed["runs"] as? [[String: Any]])
        #expect(runs.count == 1)
        #expect(runs.first?["log_tail"] as? String == "<script>alert(1)</script>")
        let agents = try await server.send(.GET, "/v1/agents", bearer: true).json()
        let agent = try #require((agents["agents"] as? [[String: Any]])?.first)
        #expect((agent["last_run"] as? [String: Any])?["id"] as? String == "r1")
    }

    @Test func deployWaitAnswersWithTheOutcome() async throws {
        let server = try await TestServer()
        // Two live agents watch "app".
        for name in ["web-1", "web-2"] {
            _ = try await server.send(
                .GET, "/v1/triggers/app", headers: [("X-Prostagma-Agent", name)], bearer: true)
        }
        async let outcome = server.send(.POST, "/v1/triggers/app?wait=30", bearer: true)
        try await eventually("the increment") { server.components.hub.current("app").count >= 1 }
        let epoch = server.components.store.epoch
        for (name, status) in [("web-1", "succeeded"), ("web-2", "failed")] {
            let run =
                #"{"agent": "\#(name)", "trigger": "app", "count": 1, "epoch": "\#(epoch)", "status": "\#(status)"}"#
            #expect(try await server.send(.POST, "/v1/runs", body: run, bearer: true).status == 201)
        }
        let answer = try await outcome
        #expect(answer.status == 409)
        let json = try answer.json()
        #expect((json["runs"] as? [[String: Any]])?.count == 2)
        #expect((json["pending"] as? [String]) == [])
    }

    @Test func deployWaitTimesOutNamingWhoIsPending() async throws {
        let server = try await TestServer()
        _ = try await server.send(.GET, "/v1/triggers/app", headers: [("X-Prostagma-Agent", "web-1")], bearer: true)
        let answer = try await server.send(.POST, "/v1/triggers/app?wait=0.05", bearer: true)
        #expect(answer.status == 504)
        #expect(try answer.json()["pending"] as? [String] == ["web-1"])
    }

    @Test func healthzMetricsAndOpenAPINeedNoAuth() async throws {
        let server = try await TestServer()
        _ = try await server.send(.POST, "/v1/triggers/app", bearer: true)
        #expect(try await server.send(.GET, "/healthz").json()["status"] as? String == "ok")
        let metrics = try await server.send(.GET, "/metrics")
        #expect(metrics.status == 200)
        for name in [
            #"prostagma_triggers_total{trigger="app"} 1"#, #"prostagma_trigger_count_current{trigger="app"} 1"#,
            "prostagma_http_requests_total{", "prostagma_http_request_duration_seconds_bucket{",
            "prostagma_artifact_cache_hits_total", "prostagma_artifact_cache_misses_total",
            "prostagma_artifact_cache_bytes", "process_resident_memory_bytes", #"prostagma_agents{state="stale"} 0"#,
        ] {
            #expect(metrics.text.contains(name), "missing \(name)")
        }
        let spec = try await server.send(.GET, "/openapi.yaml")
        #expect(spec.text.hasPrefix("openapi: 3.1.0"))
    }

    @Test func unknownRoutesAndMethodsAreJSONErrors() async throws {
        let server = try await TestServer()
        let missing = try await server.send(.GET, "/nope")
        #expect(missing.status == 404)
        #expect(try missing.json()["error"] != nil)
        let method = try await server.send(.DELETE, "/trigger")
        #expect(method.status == 405)
    }

    @Test(arguments: [
        ("", ByteRange.full), ("bytes=0-9", .partial(0..<10)), ("bytes=5-", .partial(5..<100)),
        ("bytes=-10", .partial(90..<100)), ("bytes=90-200", .partial(90..<100)), ("bytes=100-", .unsatisfiable),
        ("bytes=5-1", .full), ("bytes=0-1,5-6", .full), ("items=0-1", .full), ("bytes=x-y", .full),
        ("bytes=-0", .unsatisfiable),
    ])
    func rangeHeaders(header: String, expected: ByteRange) {
        #expect(ByteRange.parse(header.isEmpty ? nil : header, size: 100) == expected)
    }

    @Test func gzipAcceptance() {
        #expect(ServerRoutes.acceptsGzip("gzip, deflate"))
        #expect(ServerRoutes.acceptsGzip("br;q=1.0, gzip;q=0.8"))
        #expect(!ServerRoutes.acceptsGzip("gzip;q=0"))
        #expect(!ServerRoutes.acceptsGzip("identity"))
        #expect(!ServerRoutes.acceptsGzip(nil))
    }
}

@Suite(.timeLimit(.minutes(2))) struct StatusRouteTests {
    @Test func theStatusPageNeedsBasicAuthAndEscapesLogs() async throws {
        let server = try await TestServer()
        let missing = try await server.send(.GET, "/")
        #expect(missing.status == 401)
        #expect(missing.headers.first(name: "www-authenticate")?.hasPrefix("Basic") == true)
        let wrong = try await server.send(.GET, "/", headers: [("Authorization", "Basic b3BzOndyb25n")])
        // A wrong password is challenged again (401), so a browser asks anew instead of staying stuck.
        #expect(wrong.status == 401)
        #expect(wrong.headers.first(name: "www-authenticate")?.hasPrefix("Basic") == true)
        _ = try await server.send(.GET, "/v1/triggers/app", headers: [("X-Prostagma-Agent", "web-1")], bearer: true)
        let run =
            #"{"id": "r9", "agent": "web-2", "trigger": "app", "count": 1, "status": "failed", "log_tail": "<script>x</script>"}"#
        _ = try await server.send(.POST, "/v1/runs", body: run, bearer: true)
        let basic = "Basic " + Data("ops:\(TestServer.secret)".utf8).base64EncodedString()
        let page = try await server.send(.GET, "/", headers: [("Authorization", basic)])
        #expect(page.status == 200)
        #expect(page.headers.first(name: "content-type")?.hasPrefix("text/html") == true)
        #expect(page.text.contains("web-1"))
        #expect(page.text.contains("web-2"))
        #expect(page.text.contains("&lt;script&gt;x&lt;/script&gt;"))
        #expect(!page.text.contains("<script>x</script>"))
    }
}

@Suite(.timeLimit(.minutes(2))) struct S3RouteTests {
    @Test func s3WithoutTheAWSCLIIsA502SayingSo() async throws {
        let server = try await TestServer(awsPath: "/nonexistent/aws")
        let response = try await server.send(
            .GET, "/v1/artifacts?url=s3%3A%2F%2Fbucket%2Fapp.zip", bearer: true)
        #expect(response.status == 502)
        #expect((try response.json()["detail"] as? String)?.contains("/nonexistent/aws") == true)
    }
}
