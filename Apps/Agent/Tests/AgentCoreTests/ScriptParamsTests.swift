import Foundation
import Testing

@testable import AgentCore

/// `${params.NAME}` in build scripts: load-time checks, filling in at the start of a run, and what steps see.
@Suite(.timeLimit(.minutes(2))) struct ScriptParamsTests {
    static let sha = String(repeating: "ab", count: 32)

    /// A script using a param in every field that may use one.
    static let everyField = """
        steps:
          - download:
              url: https://origin.test/app-${params.version}.zip
              dest: /srv/releases/${params.version}.zip
              sha256: ${params.sha}
              mode: ${params.mode}
          - download_s3:
              url: s3://artifacts/${params.artifact}
              dest: ${params.dest}
          - unzip:
              src: /srv/releases/${params.version}.zip
              dest: /srv/app-${params.version}
        """

    static let everyParam = [
        "version": "1.4.2", "sha": sha.uppercased(), "mode": "0750", "artifact": "web/app-1.4.2.zip",
        "dest": "/tmp/app.zip",
    ]

    @Test func everyAllowedFieldIsFilledInFromTheRelease() throws {
        let script = try ScriptLoader.parseScript(Self.everyField, fileName: "web.yaml")
        #expect(script.usesParams)
        #expect(script.paramNames == ["artifact", "dest", "mode", "sha", "version"])
        let resolved = try script.resolved(params: Self.everyParam, release: "release 9 of `web`")
        #expect(!resolved.usesParams)
        #expect(
            resolved.steps.map(\.action) == [
                .download(
                    Download(
                        url: "https://origin.test/app-1.4.2.zip", dest: "/srv/releases/1.4.2.zip", sha256: Self.sha,
                        mode: 0o750)),
                .downloadS3(Download(url: "s3://artifacts/web/app-1.4.2.zip", dest: "/tmp/app.zip")),
                .unzip(Unzip(src: "/srv/releases/1.4.2.zip", dest: "/srv/app-1.4.2")),
            ])
    }

    @Test func eachTemplatedFieldKnowsWhereItIsWritten() throws {
        let script = try ScriptLoader.parseScript(Self.everyField, fileName: "web.yaml")
        let located = script.steps.flatMap(\.templates).map { "\($0.field.rawValue)@\($0.location ?? "-")" }
        #expect(
            located == [
                "url@web.yaml:3:7", "dest@web.yaml:4:7", "sha256@web.yaml:5:7", "mode@web.yaml:6:7",
                "url@web.yaml:8:7", "dest@web.yaml:9:7", "src@web.yaml:11:7", "dest@web.yaml:12:7",
            ])
    }

    @Test func aScriptWithoutParamsIsCheckedAndUsedAsBefore() throws {
        let text = "steps:\n  - download:\n      url: https://x.test/a$b/$${params.v}\n      dest: /tmp/a\n"
        let script = try ScriptLoader.parseScript(text, fileName: "d.yaml")
        #expect(!script.usesParams)
        #expect(script.steps[0].action == .download(Download(url: "https://x.test/a$b/${params.v}", dest: "/tmp/a")))
        #expect(try script.resolved(params: [:], release: "release 1 of `d`") == script)
    }

    /// Malformed references anywhere a param may be used, and the key the error must point at.
    static let malformed: [(String, String, String)] = [
        ("steps:\n  - download:\n      url: https://x.test/${params.}\n      dest: /tmp/a\n", "3:7", "${params.}"),
        ("steps:\n  - download:\n      url: https://x.test/a\n      dest: /tmp/${params.1x}\n", "4:7", "${params.1x}"),
        (
            "steps:\n  - download:\n      url: https://x.test/a\n      dest: /tmp/a\n      sha256: ${param.sha}\n",
            "5:7", "${param.sha}"
        ),
        (
            "steps:\n  - download:\n      url: https://x.test/a\n      dest: /tmp/a\n      mode: \"${params.mode\"\n",
            "5:7", "no closing"
        ),
        ("steps:\n  - download_s3:\n      url: s3://b/${params.k-y}\n      dest: /tmp/a\n", "3:7", "${params.k-y}"),
        ("steps:\n  - unzip:\n      src: ${params.}\n      dest: /srv\n", "3:7", "missing"),
        ("steps:\n  - unzip:\n      src: /tmp/a.zip\n      dest: /srv/${x}\n", "4:7", "${x}"),
    ]

    @Test(arguments: malformed)
    func aMalformedReferenceIsALoadTimeErrorAtTheField(_ text: String, _ position: String, _ piece: String) {
        let error = #expect(throws: AgentError.self) { try ScriptLoader.parseScript(text, fileName: "bad.yaml") }
        #expect(error?.kind == .invalidScript)
        #expect(error?.message.hasPrefix("bad.yaml:\(position): ") == true, "got: \(error?.message ?? "")")
        #expect(error?.message.contains("malformed param reference") == true, "got: \(error?.message ?? "")")
        #expect(error?.message.contains(piece) == true, "got: \(error?.message ?? "")")
    }

    @Test func aParamTheReleaseLacksIsNamedWithItsPosition() throws {
        let script = try ScriptLoader.parseScript(Self.everyField, fileName: "web.yaml")
        var params = Self.everyParam
        params["artifact"] = nil
        let error = #expect(throws: AgentError.self) {
            try script.resolved(params: params, release: "release 9 of `web`")
        }
        let lines = error?.message.split(separator: "\n").map(String.init) ?? []
        #expect(lines.count == 1, "got: \(error?.message ?? "")")
        #expect(
            lines.first
                == "web.yaml:8:7: `url` uses ${params.artifact}, but release 9 of `web` has no param `artifact` "
                + "(it has dest, mode, sha, version)")
        let none = #expect(throws: AgentError.self) { try script.resolved(params: [:], release: "release 9 of `web`") }
        #expect(none?.message.split(separator: "\n").count == 8, "every field is named")
        #expect(none?.message.contains("(it has no params)") == true)
    }

    /// A value that fills a field in but fails its check: the field, the value and the param are named.
    static let badValues: [(String, String, String)] = [
        ("version", "1.4.2/../../x\nhttps:", ""),
        ("sha", "not-hex", "web.yaml:5:7: `sha256` is `not-hex` once ${params.sha} is filled in from release 9"),
        ("mode", "rwx", "web.yaml:6:7: `mode` is `rwx` once ${params.mode} is filled in from release 9 of `web`"),
        ("artifact", "", "web.yaml:8:7: `url` is `s3://artifacts/` once ${params.artifact} is filled in"),
        ("dest", "", "web.yaml:9:7: `dest` is `` once ${params.dest} is filled in from release 9 of `web`: `dest` is"),
    ]

    @Test(arguments: badValues)
    func aFilledInValueIsCheckedLikeALiteralOne(_ param: String, _ value: String, _ message: String) throws {
        let script = try ScriptLoader.parseScript(Self.everyField, fileName: "web.yaml")
        var params = Self.everyParam
        params[param] = value
        if message.isEmpty {
            // Any text is a path: only the URL's scheme and the checks of the other fields apply.
            #expect(throws: Never.self) { try script.resolved(params: params, release: "release 9 of `web`") }
            return
        }
        let error = #expect(throws: AgentError.self) {
            try script.resolved(params: params, release: "release 9 of `web`")
        }
        #expect(error?.message.hasPrefix(message) == true, "got: \(error?.message ?? "")")
    }

    @Test func aReferenceInAFieldThatIsNotFilledInIsAWarningAtIt() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write(
            "w.yaml", "env:\n  V: ${params.version}\nsteps:\n  - shell: echo ${params.version}\n  - shell: echo ok\n")
        let script = try ScriptLoader.loadScript(path)
        #expect(!script.usesParams)
        #expect(
            ScriptLoader.warningLines(script, path: path) == [
                "\(path):2:3: warning: `${params.version}` in `env` is not filled in (only `url`, `dest`, `src`, "
                    + "`sha256` and `mode` are): the step sees the param as $PROSTAGMA_PARAM_VERSION",
                "\(path):4:5: warning: `${params.version}` in `shell` is not filled in (only `url`, `dest`, `src`, "
                    + "`sha256` and `mode` are): the step sees the param as $PROSTAGMA_PARAM_VERSION",
            ])
    }

    @Test func aURLThatBecomesAnotherSchemeIsRefused() throws {
        let text = "steps:\n  - download:\n      url: ${params.url}\n      dest: /tmp/a\n"
        let script = try ScriptLoader.parseScript(text, fileName: "u.yaml")
        let error = #expect(throws: AgentError.self) {
            try script.resolved(params: ["url": "ftp://x.test/a"], release: "release 2 of `u`")
        }
        #expect(
            error?.message
                == "u.yaml:3:7: `url` is `ftp://x.test/a` once ${params.url} is filled in from release 2 of `u`: "
                + "`download` needs an http:// or https:// URL, got `ftp://x.test/a`")
    }
}
