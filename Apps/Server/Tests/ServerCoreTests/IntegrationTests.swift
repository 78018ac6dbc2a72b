import AsyncHTTPClient
import Foundation
import HTTPCore
import ProstagmaProtocol
import Testing

@testable import ServerCore

/// Against a real listening server and a real HTTP origin (python3 http.server), over loopback.
@Suite(.serialized, .timeLimit(.minutes(5))) struct IntegrationTests {
    @Test func theREADMEsCurlCommandWorksQuotedAndAsPrintedWithItsBareKey() async throws {
        try await withLiveServer { server in
            let quoted = try await runCommand([
                "curl", "-sS", "-X", "POST", "-d",
                #"{"secret": "\#(TestServer.secret)", "trigger": "MY_TRIGGER_NAME"}"#,
                server.base + "/trigger",
            ])
            #expect(quoted.status == 0)
            #expect(quoted.output.contains(#""count":1"#))
            let unquoted = try await runCommand([
                "curl", "-sS", "-w", "\n%{http_code}", "-X", "POST", "-d",
                #"{"secret": "\#(TestServer.secret)", trigger: "MY_TRIGGER_NAME"}"#, server.base + "/trigger",
            ])
            // The seed README's command as printed, with `trigger` unquoted: JSON5's bare key, accepted here only.
            #expect(unquoted.output.hasSuffix("\n200"), "\(unquoted.output)")
            #expect(unquoted.output.contains(#""count":2"#))
            let cache = try await runCommand([
                "curl", "-sS", "-w", "\n%{http_code}", "-X", "POST", "-d",
                #"{"secret": "\#(TestServer.secret)", url: "http://127.0.0.1:9/x"}"#, server.base + "/cache",
            ])
            #expect(cache.output.hasSuffix("\n400"), "other routes keep strict JSON: \(cache.output)")
            #expect(cache.output.contains("object keys must be double-quoted strings (found 'url')"))
            let broken = try await runCommand([
                "curl", "-sS", "-w", "\n%{http_code}", "-X", "POST", "-d",
                #"{"secret": "\#(TestServer.secret)", trigger: }"#, server.base + "/trigger",
            ])
            #expect(broken.output.hasSuffix("\n400"), "a body that is not JSON5 either keeps the strict error")
            #expect(broken.output.contains("line 1"), "\(broken.output)")
            let bad = try await runCommand([
                "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-d",
                #"{"secret": "wrong", "trigger": "MY_TRIGGER_NAME"}"#, server.base + "/trigger",
            ])
            #expect(bad.output == "403")
            // GET with a JSON body, as the original's clients send it.
            let read = try await runCommand([
                "curl", "-sS", "-X", "GET", "-d", #"{"secret": "\#(TestServer.secret)", "trigger": "MY_TRIGGER_NAME"}"#,
                server.base + "/trigger",
            ])
            #expect(read.output.contains(#""count":2"#))
        }
    }

    @Test func sixtyFourConnectionsIncrementingLoseNothing() async throws {
        try await withLiveServer { server in
            let statuses = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<64 {
                    group.addTask {
                        var statuses: [Int] = []
                        for _ in 0..<5 {
                            statuses.append(
                                try await server.send(
                                    .POST, "/trigger", body: #"{"secret": "test-secret", "trigger": "load"}"#
                                ).status)
                        }
                        return statuses
                    }
                }
                return try await group.reduce(into: [Int]()) { $0 += $1 }
            }
            #expect(statuses.count == 320)
            #expect(statuses.allSatisfy { $0 == 200 })
            #expect(try await server.components.store.loadTriggers().first { $0.trigger == "load" }?.count == 320)
        }
    }

    @Test func longPollsWakeAllWithinMilliseconds() async throws {
        try await withLiveServer { server in
            let epoch = server.components.store.epoch
            let pollers = 50
            try await withThrowingTaskGroup(of: Int.self) { group in
                let clock = ContinuousClock()
                for _ in 0..<pollers {
                    group.addTask {
                        let response = try await server.send(
                            .GET, "/v1/triggers/app?after=0&epoch=\(epoch)&wait=30", bearer: true)
                        return try response.json()["count"] as? Int ?? -1
                    }
                }
                try await eventually("\(pollers) long polls open") {
                    server.components.hub.watcherCounts()["app", default: 0] >= pollers
                }
                let start = clock.now
                _ = try await server.send(.POST, "/v1/triggers/app", bearer: true)
                var counts: [Int] = []
                for try await count in group { counts.append(count) }
                let elapsed = clock.now - start
                #expect(counts == Array(repeating: 1, count: pollers))
                // Generous bound for a loaded shared machine; the benchmark measures the real latency.
                #expect(elapsed < .seconds(5))
            }
        }
    }

    @Test func upstream404IsA502NamingItAndIsNotCached() async throws {
        let origin = try await Origin.start()
        defer { origin.stop() }
        try await withLiveServer { server in
            let url = origin.base + "/late.txt"
            let query =
                "/v1/artifacts?url=\(url.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&cache=true"
            let missing = try await server.send(.GET, query, bearer: true)
            #expect(missing.status == 502)
            #expect((try missing.json()["detail"] as? String)?.contains("404") == true)
            try origin.write("late.txt", "now it exists")
            let present = try await server.send(.GET, query, bearer: true)
            #expect(present.status == 200)
            #expect(present.text == "now it exists")
        }
    }

    @Test func concurrentRequestsShareOneUpstreamFetch() async throws {
        let origin = try await Origin.start()
        defer { origin.stop() }
        let contents = String(repeating: "prostagma artifact line\n", count: 20_000)
        try origin.write("app.txt", contents)
        try await withLiveServer { server in
            let url = (origin.base + "/app.txt").addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let bodies = try await withThrowingTaskGroup(of: LiveServer.Response.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await server.send(.GET, "/v1/artifacts?url=\(url)&cache=true", bearer: true) }
                }
                return try await group.reduce(into: [LiveServer.Response]()) { $0.append($1) }
            }
            #expect(bodies.allSatisfy { $0.status == 200 && $0.text == contents })
            #expect(origin.requests(for: "/app.txt") == 1)
            let sha = bodies[0].headers.first(name: "x-prostagma-sha256")
            #expect(sha?.count == 64)
            #expect(bodies[0].headers.first(name: "etag") == "\"\(sha ?? "")\"")

            // Range, from the same cached entry.
            let range = try await server.send(
                .GET, "/v1/artifacts?url=\(url)&cache=true", headers: [("Range", "bytes=10-19")], bearer: true)
            #expect(range.status == 206)
            #expect(range.text == String(contents.dropFirst(10).prefix(10)))
            #expect(range.headers.first(name: "content-range") == "bytes 10-19/\(contents.utf8.count)")

            // gzip pass-through: compressible text is stored gzip and served as is.
            let gzip = try await server.send(
                .GET, "/v1/artifacts?url=\(url)&cache=true", headers: [("Accept-Encoding", "gzip")], bearer: true)
            #expect(gzip.status == 200)
            #expect(gzip.headers.first(name: "content-encoding") == "gzip")
            #expect(gzip.body.count < contents.utf8.count / 10)
            #expect(gzip.body.prefix(2) == [0x1F, 0x8B])

            // HEAD: headers only.
            let head = try await server.send(.HEAD, "/v1/artifacts?url=\(url)&cache=true", bearer: true)
            #expect(head.status == 200)
            #expect(head.body.isEmpty)

            // If-None-Match.
            let notModified = try await server.send(
                .GET, "/v1/artifacts?url=\(url)&cache=true", headers: [("If-None-Match", "\"\(sha ?? "")\"")],
                bearer: true)
            #expect(notModified.status == 304)
            #expect(origin.requests(for: "/app.txt") == 1)
        }
    }

    @Test func allowListIsEnforced() async throws {
        try await withLiveServer(allowedURLs: ["https://releases.example.com/"]) { server in
            let response = try await server.send(
                .GET, "/v1/artifacts?url=http%3A%2F%2F127.0.0.1%3A1%2Fx", bearer: true)
            #expect(response.status == 422)
            #expect((try response.json()["detail"] as? String)?.contains("PROSTAGMA_ALLOWED_URLS") == true)
        }
    }

    @Test func unreachableUpstreamIsA502() async throws {
        try await withLiveServer { server in
            let port = try Origin.freePort()
            let response = try await server.send(
                .GET, "/v1/artifacts?url=http%3A%2F%2F127.0.0.1%3A\(port)%2Fx", bearer: true)
            #expect(response.status == 502)
        }
    }

    @Test func promtoolAcceptsLiveMetrics() async throws {
        try await withLiveServer { server in
            _ = try await server.send(.POST, "/v1/triggers/app", bearer: true)
            _ = try await server.send(.GET, "/nope")
            let metrics = try await server.send(.GET, "/metrics")
            #expect(metrics.status == 200)
            let check = try await runCommand(["promtool", "check", "metrics"], input: metrics.text)
            // Clean means exit 0 and not a word: promtool exits 1 on a parse error and 3 on a lint remark.
            #expect(check.status == 0, "\(check.output)")
            #expect(check.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(check.output)")
            #expect(metrics.text.contains(#"prostagma_trigger_count_current{trigger="app"} 1"#))
        }
    }

    @Test func anUpstreamThatNeverAnswersIsA504() async throws {
        // A socket that listens but never accepts: the connection opens, the request is never answered.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = listen(fd, 16)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        try await withLiveServer(upstreamTimeout: .seconds(1)) { server in
            let response = try await server.send(
                .GET, "/v1/artifacts?url=http%3A%2F%2F127.0.0.1%3A\(port)%2Fslow", bearer: true)
            #expect(response.status == 504)
            #expect((try response.json()["error"] as? String) == "upstream_timeout")
        }
    }

    @Test func aLongPollWhoseClientLeavesStopsWatching() async throws {
        try await withLiveServer { server in
            let epoch = server.components.store.epoch
            let port = Int(server.base.split(separator: ":").last ?? "") ?? 0
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            #expect(connected == 0)
            let request = Array(
                ("GET /v1/triggers/app?after=0&epoch=\(epoch)&wait=60 HTTP/1.1\r\nHost: x\r\n"
                    + "Authorization: Bearer \(TestServer.secret)\r\n\r\n").utf8)
            _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            try await eventually("the raw long poll to be open") {
                server.components.hub.watcherCounts()["app", default: 0] >= 1
            }
            #expect(server.components.hub.watcherCounts()["app"] == 1)
            close(fd)
            try await eventually("the closed long poll to stop counting") {
                server.components.hub.watcherCounts()["app", default: 0] == 0
            }
            #expect(server.components.hub.watcherCounts()["app"] == nil)
        }
    }
}
