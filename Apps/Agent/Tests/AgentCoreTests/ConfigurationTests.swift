import Testing

@testable import AgentCore

@Suite(.timeLimit(.minutes(1))) struct ConfigurationTests {
    func inputs(
        _ env: [String: String], files: [String: String] = [:], isRoot: Bool = false
    ) -> ResolvedSettings.Inputs {
        ResolvedSettings.Inputs(
            environment: env,
            loadConfigFile: { path in
                guard let text = files[path] else { throw AgentError.io("\(path): no such file") }
                return try ScriptLoader.parseConfig(text, fileName: path)
            },
            readTextFile: { path in
                guard let text = files[path] else { throw AgentError.io("\(path): no such file") }
                return text
            }, hostName: "web-1", isRoot: isRoot)
    }

    @Test func theOriginalEnvironmentVariablesConfigureOneWatch() throws {
        let settings = try ResolvedSettings.resolve(
            try AgentFlags.parse([]),
            inputs: inputs([
                "PROSTAGMA_HOST": "http://my-server:6969/", "PROSTAGMA_SECRET": "prostagma",
                "PROSTAGMA_SHELL": "/usr/bin/sh", "PROSTAGMA_PROM_PORT": "7000", "PROSTAGMA_TRIGGER": "test",
                "PROSTAGMA_SCRIPT": "/deploy.yml", "HOME": "/home/u",
            ]))
        let config = try settings.forWatching()
        #expect(config.server == "http://my-server:6969")
        #expect(config.secret == "prostagma")
        #expect(config.shell == "/usr/bin/sh")
        #expect(config.promPort == 7000)
        #expect(config.watches == [.init(trigger: "test", script: "/deploy.yml")])
        #expect(config.agentName == "web-1")
        #expect(config.pollInterval == .seconds(5))
        #expect(config.stateDirectory == "/home/u/.local/state/prostagma-agent")
    }

    @Test func flagsWinOverTheEnvironment() throws {
        let options = try AgentFlags.parse([
            "--server", "other:7000", "--shell", "/bin/bash", "--poll-interval", "2s", "--agent-name", "named",
        ])
        let settings = try ResolvedSettings.resolve(
            options,
            inputs: inputs([
                "PROSTAGMA_HOST": "http://env:6969", "PROSTAGMA_SECRET": "s", "PROSTAGMA_SHELL": "/bin/sh",
                "PROSTAGMA_POLL_INTERVAL": "9s", "PROSTAGMA_AGENT_NAME": "env-name", "PROSTAGMA_TRIGGER": "t",
                "PROSTAGMA_SCRIPT": "s.yaml",
            ]))
        #expect(settings.server == "http://other:7000")
        #expect(settings.shell == "/bin/bash")
        #expect(settings.pollInterval == .seconds(2))
        #expect(settings.agentName == "named")
    }

    @Test func aConfigFileWatchesSeveralTriggersWithScriptsRelativeToIt() throws {
        let settings = try ResolvedSettings.resolve(
            try AgentFlags.parse([]),
            inputs: inputs(
                ["PROSTAGMA_CONFIG": "/etc/prostagma/agent.yaml", "PROSTAGMA_SECRET": "from-env"],
                files: [
                    "/etc/prostagma/agent.yaml":
                        "server: deploy:6969\nsecret: from-file\nstate: state\nwatches:\n  - trigger: web\n    script: web.yaml\n  - trigger: db\n    script: /opt/db.yaml\n"
                ], isRoot: true))
        let config = try settings.forWatching()
        #expect(config.server == "http://deploy:6969")
        #expect(config.secret == "from-env", "the environment wins over the file")
        #expect(config.stateDirectory == "/etc/prostagma/state")
        #expect(
            config.watches == [
                .init(trigger: "web", script: "/etc/prostagma/web.yaml"), .init(trigger: "db", script: "/opt/db.yaml"),
            ])
    }

    @Test func aSecretFileIsReadAndItsNewlineDropped() throws {
        let settings = try ResolvedSettings.resolve(
            try AgentFlags.parse([]),
            inputs: inputs(
                ["PROSTAGMA_HOST": "h", "PROSTAGMA_SECRET_FILE": "/run/secret"], files: ["/run/secret": "abc\n"]))
        #expect(try settings.serverAndSecret().secret == "abc")
    }

    @Test(arguments: [
        (["PROSTAGMA_SECRET": "s", "PROSTAGMA_TRIGGER": "t", "PROSTAGMA_SCRIPT": "x"], "no server"),
        (["PROSTAGMA_HOST": "h", "PROSTAGMA_TRIGGER": "t", "PROSTAGMA_SCRIPT": "x"], "no secret"),
        (["PROSTAGMA_HOST": "h", "PROSTAGMA_SECRET": "s", "PROSTAGMA_TRIGGER": "t"], "PROSTAGMA_SCRIPT"),
        (["PROSTAGMA_HOST": "ftp://h", "PROSTAGMA_SECRET": "s"], "http:// or https://"),
        (["PROSTAGMA_HOST": "h", "PROSTAGMA_SECRET": "s", "PROSTAGMA_PROM_PORT": "x"], "not a TCP port"),
        (["PROSTAGMA_HOST": "h", "PROSTAGMA_SECRET": "s", "PROSTAGMA_POLL_INTERVAL": "often"], "not a duration"),
        (
            ["PROSTAGMA_HOST": "h", "PROSTAGMA_SECRET": "s", "PROSTAGMA_TRIGGER": "a b", "PROSTAGMA_SCRIPT": "x"],
            "not a valid trigger name"
        ),
    ])
    func incompleteConfigurationIsAClearError(_ env: [String: String], _ message: String) {
        let error = #expect(throws: AgentError.self) {
            try ResolvedSettings.resolve(try AgentFlags.parse([]), inputs: inputs(env)).forWatching()
        }
        #expect(error?.message.contains(message) == true, "got: \(error?.message ?? "")")
    }

    @Test(arguments: [
        ("deploy:6969", "http://deploy:6969"), ("https://d.example/prefix/", "https://d.example/prefix"),
        ("HTTP://D:1", "HTTP://D:1"),
    ])
    func normalizesTheServerURL(_ given: String, _ expected: String) throws {
        #expect(try WatchConfiguration.normalizeServer(given) == expected)
    }

    @Test(arguments: ["http://", "", "ftp://x", "https:///path"])
    func rejectsServerURLsWithoutAHost(_ given: String) {
        #expect(throws: AgentError.self) { try WatchConfiguration.normalizeServer(given) }
    }

    @Test func triggerFlagsConflictWithAConfigFile() throws {
        let options = try AgentFlags.parse(["--trigger", "x"])
        let error = #expect(throws: AgentError.self) {
            try ResolvedSettings.resolve(
                options,
                inputs: inputs(
                    ["PROSTAGMA_CONFIG": "/a.yaml"],
                    files: ["/a.yaml": "watches:\n  - trigger: web\n    script: w.yaml\n"]))
        }
        #expect(error?.message.contains("drop --trigger") == true)
    }

    @Test func theCommandLineParses() throws {
        let help = AgentCommand.helpMessage()
        #expect(help.contains("prostagma-agent"))
        #expect(help.contains("trigger"))
        #expect(throws: (any Error).self) { try AgentCommand.parseAsRoot(["--no-such-flag"]) }
        let parsed = try AgentCommand.parseAsRoot(["trigger", "app", "--wait", "5m", "--server", "h"])
        #expect(parsed is TriggerCommand)
        #expect(try AgentCommand.parseAsRoot(["client"]) is WatchCommand)
        #expect(try AgentCommand.parseAsRoot(["run", "--once"]) is RunCommand)
    }
}
