import Foundation
import ProstagmaProtocol
import Testing

@testable import ServerCore

/// Rollout policies from the server's configuration file (`PROSTAGMA_CONFIG`): read at start, stored, and fixed
/// against `PUT`/`DELETE` for the triggers the file names.
@Suite(.timeLimit(.minutes(2))) struct ConfigurationFileTests {
    static let text = """
        # rollout policies by trigger
        policies:
          web:
            max_parallel: 20%
            canary: 1
            canary_soak: 300
          api: {max_parallel: 2, auto_rollback: true}

        """

    @Test func thePoliciesSectionReadsEveryField() throws {
        let file = try ServerConfigurationFile.parse(Self.text, path: "server.yaml")
        #expect(
            file.policies["web"]
                == RolloutPolicy(maxParallel: .percent(20), canary: 1, canarySoakSeconds: 300))
        #expect(file.policies["api"] == RolloutPolicy(maxParallel: .count(2), autoRollback: true))
        #expect(file.policies.count == 2)
        #expect(try ServerConfigurationFile.parse("", path: "empty.yaml").policies.isEmpty)
        #expect(try ServerConfigurationFile.parse("# nothing yet\n\n", path: "empty.yaml").policies.isEmpty)
    }

    @Test(arguments: [
        ("policy:\n  web: {canary: 1}\n", "unknown section 'policy'"),
        ("policies:\n  web:\n    max_paralel: 2\n", "unknown field 'max_paralel'"),
        ("policies:\n  web:\n    max_parallel: 0\n", "policies.web.max_parallel: 0 agents"),
        ("policies:\n  web:\n    max_parallel: lots\n", "'lots' is neither a count"),
        ("policies:\n  web:\n    canary_soak: 60\n", "policies.web.canary_soak: set without canary"),
        ("policies:\n  \"bad name!\": {canary: 1}\n", "policies:"),
        ("policies:\n  web: [1, 2\n", "server.yaml:"),
    ])
    func aMistakeIsAnErrorThatSaysWhere(text: String, expected: String) {
        let error = #expect(throws: ServerError.self) {
            try ServerConfigurationFile.parse(text, path: "server.yaml")
        }
        #expect(error?.detail.contains(expected) == true, "\(error?.detail ?? "no error")")
        #expect(error?.detail.contains("server.yaml") == true)
    }

    @Test func theFilesPoliciesApplyAtStartWinOverAStoredPutAndCannotBeChangedByPut() async throws {
        let directory = TemporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = (directory as NSString).appendingPathComponent("server.yaml")
        do {
            // Before the file: a PUT stored another policy for web, and one for docs.
            let server = try await TestServer(directory: directory)
            for trigger in ["web", "docs"] {
                let put = try await server.send(
                    .PUT, "/v1/triggers/\(trigger)/policy", body: #"{"max_parallel": 5}"#, bearer: true)
                #expect(put.status == 200)
            }
            try await server.components.store.close()
        }
        try Self.text.write(toFile: config, atomically: true, encoding: .utf8)
        let server = try await TestServer(directory: directory, configFile: config)
        let web = try JSONDecoder().decode(
            RolloutPolicy.self, from: Data(try await server.send(.GET, "/v1/triggers/web/policy", bearer: true).body))
        #expect(web == RolloutPolicy(maxParallel: .percent(20), canary: 1, canarySoakSeconds: 300), "the file wins")
        #expect(try await server.components.store.loadPolicies()["web"] == web, "and is stored")
        let docs = try JSONDecoder().decode(
            RolloutPolicy.self, from: Data(try await server.send(.GET, "/v1/triggers/docs/policy", bearer: true).body))
        #expect(docs.maxParallel == .count(5), "a trigger the file does not name keeps its PUT policy")

        let put = try await server.send(.PUT, "/v1/triggers/web/policy", body: #"{"max_parallel": 1}"#, bearer: true)
        #expect(put.status == 409)
        #expect(put.text.contains("policy_from_configuration") && put.text.contains(config), "\(put.text)")
        #expect(try await server.send(.DELETE, "/v1/triggers/web/policy", bearer: true).status == 409)
        #expect(try await server.send(.DELETE, "/v1/triggers/docs/policy", bearer: true).status == 200)
    }

    @Test func theFileIsNamedByTheEnvironmentOrAFlag() throws {
        #expect(
            try ServerConfiguration.resolve(.init(), environment: ["PROSTAGMA_CONFIG": "/etc/p.yaml"]).configFile
                == "/etc/p.yaml")
        var flags = ServerConfiguration.Overrides()
        flags.config = "/flag.yaml"
        #expect(
            try ServerConfiguration.resolve(flags, environment: ["PROSTAGMA_CONFIG": "/etc/p.yaml"]).configFile
                == "/flag.yaml")
        #expect(throws: ServerError.self) {
            try ServerConfiguration.resolve(.init(), environment: ["PROSTAGMA_CONFIG": ""])
        }
    }

    @Test func anUnreadableFileStopsTheStartSayingWhich() async throws {
        let error = await #expect(throws: (any Error).self) {
            _ = try await TestServer(configFile: "/nonexistent/server.yaml")
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("/nonexistent/server.yaml"))
    }
}
