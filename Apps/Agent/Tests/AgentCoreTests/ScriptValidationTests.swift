import Testing

@testable import AgentCore

@Suite(.timeLimit(.minutes(1))) struct ScriptValidationTests {
    /// Bad scripts, the position the error must point at, and a piece of its message.
    static let badScripts: [(String, String, String)] = [
        ("steps:\n  - shell: echo hi\nstpes: []\n", "3:1", "unknown key `stpes`"),
        ("steps:\n  - shel: echo\n", "2:5", "unknown step `shel`"),
        ("steps:\n  - shell: echo\n    unzip: {src: a, dest: b}\n", "3:5", "exactly one step key"),
        ("steps:\n  - download:\n      url: https://x.test/a.zip\n", "2:5", "missing its `dest` field"),
        (
            "steps:\n  - download:\n      url: https://x.test/a.zip\n      dest: /tmp/a\n      cache: maybe\n", "5:7",
            "expected true or false"
        ),
        ("steps:\n  - shell: echo\n    timeout: 10 minutes\n", "3:5", "not a duration"),
        (
            "steps:\n  - download:\n      url: https://x.test/a\n      dest: /tmp/a\n      sha256: abc\n", "5:7",
            "64 hexadecimal digits"
        ),
        ("steps:\n  - download:\n      url: s3://bucket/key\n      dest: /tmp/a\n", "3:7", "use a `download_s3` step"),
        ("steps:\n  - download_s3:\n      url: https://x.test/a\n      dest: /tmp/a\n", "3:7", "s3://bucket/key"),
        ("steps:\n  - shell: [a, b]\n", "2:5", "`shell` must be a string"),
        ("steps: echo\n", "1:1", "expected a list"),
        ("env:\n  1X: a\nsteps:\n  - shell: echo\n", "2:3", "not a valid environment variable name"),
        ("steps:\n  - download: {url: \"https://x.test/a\", dest: /tmp/a, md5: x}\n", "2:55", "unknown key `md5`"),
        (
            "steps:\n  - download:\n      url: https://x.test/a\n      dest: /tmp/a\n      mode: \"999\"\n", "5:7",
            "octal"
        ),
        ("env:\n  A: b\n", "1:1", "no `steps` list"),
        ("steps:\n  - echo hi\n", "2:5", "a step must be a mapping"),
        (
            "steps:\n  - unzip:\n      src: /tmp/a.zip\n      dest: /srv\n      overwrite: yes please\n", "5:7",
            "true or false"
        ),
        ("steps:\n  - shell: \"\"\n", "2:5", "`shell` is empty"),
        ("steps:\n", "1:1", "`steps` is empty"),
    ]

    @Test(arguments: badScripts)
    func rejectsBadScriptAtItsPosition(_ text: String, _ position: String, _ message: String) throws {
        let error = #expect(throws: AgentError.self) {
            try ScriptLoader.parseScript(text, fileName: "deploy.yaml")
        }
        #expect(error?.kind == .invalidScript)
        #expect(error?.message.hasPrefix("deploy.yaml:\(position): ") == true, "got: \(error?.message ?? "")")
        #expect(error?.message.contains(message) == true, "got: \(error?.message ?? "")")
    }

    @Test func syntaxErrorsCarryFileLineAndColumn() throws {
        let error = #expect(throws: AgentError.self) {
            try ScriptLoader.parseScript("steps:\n  - shell: echo\n  bad indentation: [\n", fileName: "x.yaml")
        }
        let message = try #require(error?.message)
        #expect(message.range(of: #"^x\.yaml:\d+:\d+: "#, options: .regularExpression) != nil, "got: \(message)")
    }

    @Test func emptyFileIsAnError() {
        let error = #expect(throws: AgentError.self) { try ScriptLoader.parseScript("", fileName: "e.yaml") }
        #expect(error?.message.hasPrefix("e.yaml:1:1: ") == true)
    }

    @Test func decodesTheDesignExample() throws {
        let text = """
            env: {KEY: value, PORT: 8080}
            steps:
              - shell: echo one line
              - shell: |
                  cd /srv/app
                  ./migrate
                timeout: 10m
              - download:
                  url: https://example.com/app.zip
                  dest: /tmp/app.zip
                  cache: false
                  sha256: 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08
                  mode: "0755"
              - download_s3:
                  url: s3://bucket/app.zip
                  dest: /tmp/app.zip
              - unzip:
                  src: /tmp/app.zip
                  dest: /srv/app
                  overwrite: true
            """
        let script = try ScriptLoader.parseScript(text, fileName: "d.yaml")
        #expect(script.env == ["KEY": "value", "PORT": "8080"])
        #expect(script.steps.map(\.kind) == ["shell", "shell", "download", "download_s3", "unzip"])
        #expect(script.steps[1].timeout == .seconds(600))
        #expect(script.steps[1].action == .shell("cd /srv/app\n./migrate\n"))
        guard case .download(let download) = script.steps[2].action else {
            Issue.record("not a download")
            return
        }
        #expect(download.sha256 == "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
        #expect(download.mode == 0o755)
        #expect(download.cache == false)
        #expect(script.steps[4].action == .unzip(Unzip(src: "/tmp/app.zip", dest: "/srv/app", overwrite: true)))
        #expect(script.warnings.isEmpty)
    }

    @Test func unquotedModeReadsAsOctal() throws {
        let script = try ScriptLoader.parseScript(
            "steps:\n  - download:\n      url: http://h/a\n      dest: /tmp/a\n      mode: 0640\n", fileName: "m.yaml")
        #expect(script.steps[0].action == .download(Download(url: "http://h/a", dest: "/tmp/a", mode: 0o640)))
    }

    @Test func acceptsTheOriginalReadmeIndentationWithAWarning() throws {
        // The original README printed download's fields at the step's level.
        let text = """
            steps:
                - shell: str
                - download:
                  cache: false
                  url: https://raw.githubusercontent.com/BradleyChatha/jcli/master/meson.build
                  dest: test_download.yaml
                - download_s3:
                  cache: false
                  url: s3://bradley-chatha/artifacts/prostagma.zip
                  dest: /prostagma.zip
            """
        let script = try ScriptLoader.parseScript(text, fileName: "orig.yaml")
        #expect(
            script.steps[1].action
                == .download(
                    Download(
                        url: "https://raw.githubusercontent.com/BradleyChatha/jcli/master/meson.build",
                        dest: "test_download.yaml")))
        #expect(
            script.steps[2].action
                == .downloadS3(Download(url: "s3://bradley-chatha/artifacts/prostagma.zip", dest: "/prostagma.zip")))
        #expect(script.warnings.count == 2)
        #expect(script.warnings[0].path == ["steps", "1", "download"])
        #expect(script.warnings[0].message.contains("indent them under `download:`"))
    }

    @Test func theReadmeShapeStillRejectsUnknownSiblings() {
        let error = #expect(throws: AgentError.self) {
            try ScriptLoader.parseScript(
                "steps:\n  - download:\n    url: http://h/a\n    dest: /tmp/a\n    sha: x\n", fileName: "o.yaml")
        }
        #expect(error?.message.hasPrefix("o.yaml:5:5: unknown key `sha`") == true, "got: \(error?.message ?? "")")
    }

    @Test func theOriginalReadmeExamplesValidate() throws {
        let text = """
            steps:
              - shell: |
                  rm -rf /var/www/personal/
                  mkdir /var/www/personal/
              - download_s3:
                  cache: false
                  url: s3://bradley-chatha/website/dist.zip
                  dest: /var/www/personal/personal.zip
              - shell: |
                  unzip -o /var/www/personal/personal.zip -d /var/www/personal
                  rm /var/www/personal/personal.zip
            """
        let script = try ScriptLoader.parseScript(text, fileName: "site.yaml")
        #expect(script.steps.count == 3)
        #expect(script.warnings.isEmpty)
    }
}

@Suite(.timeLimit(.minutes(1))) struct ConfigFileTests {
    @Test func decodesWatches() throws {
        let config = try ScriptLoader.parseConfig(
            """
            server: http://deploy.internal:6969
            secret: abc
            prom_port: 7000
            poll_interval: 2s
            watches:
              - trigger: web
                script: /etc/prostagma/web.yaml
              - trigger: worker
                script: worker.yaml
            """, fileName: "agent.yaml")
        #expect(config.watches.map(\.trigger) == ["web", "worker"])
        #expect(config.promPort == 7000)
        #expect(config.pollInterval == "2s")
    }

    @Test(arguments: [
        (
            "server: x\nwatches:\n  - trigger: web\n    script: a.yaml\n  - trigger: web\n    script: b.yaml\n", "5:5",
            "watched twice"
        ),
        ("server: x\nwatches:\n  - trigger: \"bad name\"\n    script: a.yaml\n", "3:5", "not a valid trigger name"),
        ("server: x\nwatches:\n  - trigger: \"..\"\n    script: a.yaml\n", "3:5", "not a valid trigger name"),
        ("server: x\nwatchs: []\n", "2:1", "unknown key `watchs`"),
        ("server: x\nwatches:\n  - trigger: web\n", "3:5", "missing its `script` field"),
        ("prom_port: seven\nwatches:\n  - trigger: web\n    script: a\n", "1:1", "expected an integer"),
    ])
    func rejectsBadConfig(_ text: String, _ position: String, _ message: String) {
        let error = #expect(throws: AgentError.self) { try ScriptLoader.parseConfig(text, fileName: "agent.yaml") }
        #expect(error?.message.hasPrefix("agent.yaml:\(position): ") == true, "got: \(error?.message ?? "")")
        #expect(error?.message.contains(message) == true, "got: \(error?.message ?? "")")
    }
}
