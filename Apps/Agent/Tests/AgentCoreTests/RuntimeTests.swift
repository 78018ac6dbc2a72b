import Foundation
import ServiceLifecycleTestKit
import Testing

@testable import AgentCore

@Suite(.serialized, .timeLimit(.minutes(5))) struct RuntimeTests {
    @Test func againstAnOriginalServerTwoTriggersRunIndependentlyByPolling() async throws {
        let server = try await StandInServer.start(.original)
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.file("state"))
        try store.save(HandledState(trigger: "web", epoch: nil, count: 0))
        try store.save(HandledState(trigger: "db", epoch: nil, count: 0))
        let web = try dir.write("web.yaml", "steps:\n  - shell: echo \"web $PROSTAGMA_COUNT\" >> \(dir.file("log"))\n")
        let db = try dir.write("db.yaml", "steps:\n  - shell: echo \"db $PROSTAGMA_COUNT\" >> \(dir.file("log"))\n")
        let transport = try ClientTransport(caFile: nil)
        let client = ServerClient(
            server: server.url, secret: StandInServer.secret, agentName: "a", host: "h", pollInterval: .seconds(1),
            transport: transport)
        let log = CapturedLog()
        var runtime = AgentRuntime(
            configuration: WatchConfiguration(
                server: server.url, secret: StandInServer.secret,
                watches: [.init(trigger: "web", script: web), .init(trigger: "db", script: db)],
                stateDirectory: dir.file("state"), agentName: "a", host: "h", pollInterval: .milliseconds(100)),
            transport: transport, extractor: NoExtractor(), logger: log.logger)
        runtime.trapSignals = false
        // The runtime's group follows the graceful shutdown it runs in, as SIGTERM begins it.
        let agent = runtime
        let handled = try await testGracefulShutdown { trigger in
            async let running: Void = agent.run()
            _ = try await client.increment(trigger: "web", wait: nil)
            _ = try await client.increment(trigger: "web", wait: nil)
            let handled = try await eventually { try store.load("web")?.count == 2 }
            _ = try await client.increment(trigger: "db", wait: nil)
            _ = try await eventually { try store.load("db")?.count == 1 }
            trigger.triggerGracefulShutdown()
            try await running
            return handled
        }
        try? await transport.shutdown()
        let requests = try await server.requests()
        await server.shutdown()

        #expect(handled)
        #expect(try store.load("db")?.count == 1)
        let lines = try String(contentsOfFile: dir.file("log"), encoding: .utf8).split(separator: "\n")
        #expect(lines.last == "db 1")
        #expect(lines.filter { $0.hasPrefix("web") }.last == "web 2")
        #expect(lines.count <= 3, "web ran at most twice (1 and 2, or only 2 when both increments fell in one poll)")
        #expect(log.count(containing: "no v1 API") == 2, "one warning per trigger")
        #expect(!requests.contains { ($0["path"] as? String) == "/v1/runs" }, "no reports to an original server")
    }
}
