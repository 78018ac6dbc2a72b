import Foundation
import ProstagmaProtocol
import SystemSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The status page at `GET /` as an operator's browser shows it: headless Chromium (Debian `chromium`, installed
/// by `make deps`) against a live server with two agents, one of whose runs failed with a `<script>` in its log.
@Suite("Status page in a browser", .timeLimit(.minutes(10)))
struct StatusPageTests {
    /// The failing agent's script: a step that succeeds, one that prints markup and exits 3, one that never runs.
    static let failingScript = """
        steps:
          - shell: echo preparing
          - shell: |
              echo "<script>alert(1)</script>"
              exit 3
          - shell: echo never runs
        """

    @Test func headlessChromiumShowsBothAgentsAndTheFailureWithItsLogAsText() async throws {
        try await SystemHarness.run { harness in
            let server = try await harness.startServer()
            _ = try await harness.startAgent(
                "web-ok", server: server, trigger: "site", script: "steps:\n  - shell: echo deployed fine\n")
            _ = try await harness.startAgent("web-bad", server: server, trigger: "site", script: Self.failingScript)
            try await server.waitForWatchers("site", count: 2)
            let count = try await server.trigger("site")
            let good = try await server.waitForRun(of: "site", count: count, agent: "web-ok")
            let bad = try await server.waitForRun(of: "site", count: count, agent: "web-bad")
            #expect(good.status == "succeeded")
            #expect(bad.status == "failed")
            let failing = bad.steps.first { $0.status == "failed" }
            #expect(failing?.index == 1, "the second step failed")
            #expect(failing?.exitCode == 3)
            #expect(bad.logTail?.contains("<script>alert(1)</script>") == true, "the agent reported the markup")

            try await Self.expectTheServerServesThePage(server)
            let url = Self.pageURL(server)

            let dom = try await HeadlessChromium.dumpDOM(url, in: harness, name: "dom")
            try FileSystem.write(dom, to: harness.path("status.dom.html"))
            #expect(dom.contains("web-ok"))
            #expect(dom.contains("web-bad"))
            #expect(Self.occurrences(of: ">live<", in: dom) >= 2, "both agents shown live")
            #expect(dom.contains(">failed<"), "a failed badge")
            #expect(dom.contains("Failed at step 2 (shell): exit code 3"), "the failing step")
            // The log line is text: serialised escaped, and no element was made of it.
            #expect(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!dom.contains("alert(1)</script>"))
            #expect(Self.occurrences(of: "<script", in: dom) == 1, "only the page's own script element")
            // The page's own script ran (its CSP hash matches): it marks the document.
            #expect(dom.contains("data-refresh=\"on\""), "the inline script did not run (CSP hash out of date?)")

            // With virtual time past the refresh interval the script fetched `/` again and swapped <main>.
            let later = try await HeadlessChromium.dumpDOM(
                url, in: harness, name: "refresh", extraArguments: ["--virtual-time-budget=8000"])
            try FileSystem.write(later, to: harness.path("status.refreshed.dom.html"))
            #expect(later.contains("data-refreshed=\""), "the page did not refresh itself with JavaScript on")
            #expect(later.contains("web-bad"))

            let png = harness.path("status.png")
            try await HeadlessChromium.screenshot(url, to: png, in: harness)
            let bytes = try Data(contentsOf: png)
            #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]), "status.png is a PNG")
            #expect(bytes.count > 10_000, "status.png has content (\(bytes.count) bytes)")
        }
    }

    /// `http://operator:SECRET@127.0.0.1:PORT/`: Chromium answers the server's Basic challenge with these.
    static func pageURL(_ server: ServerProcess) -> String {
        let secret = server.secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? server.secret
        return "http://operator:\(secret)@127.0.0.1:\(server.port)/"
    }

    /// `GET /` asks for Basic auth (so a browser prompts, or sends the URL's credentials) and, with the secret as
    /// password, answers HTML; until the server serves the page this fails here, saying so.
    static func expectTheServerServesThePage(_ server: ServerProcess) async throws {
        let authorization = "Basic " + Data("operator:\(server.secret)".utf8).base64EncodedString()
        let page = try await HTTP.request("GET", server.baseURL + "/", headers: ["Authorization": authorization])
        guard page.status == 200, page.headers["content-type"]?.hasPrefix("text/html") == true else {
            throw SystemTestError(
                "GET / with HTTP Basic auth answered \(page.status) "
                    + "(content-type \(page.headers["content-type"] ?? "none")): the server does not serve the status "
                    + "page yet (issue 10: StatusPage.render behind Basic auth). Body: \(page.text.prefix(300))")
        }
        let anonymous = try await HTTP.get(server.baseURL + "/")
        #expect(anonymous.status == 401, "GET / without credentials")
        #expect(
            anonymous.headers["www-authenticate"]?.lowercased().hasPrefix("basic") == true,
            "a browser only sends Basic credentials after a `WWW-Authenticate: Basic` challenge")
        let wrong = try await HTTP.request(
            "GET", server.baseURL + "/",
            headers: ["Authorization": "Basic " + Data("operator:wrong".utf8).base64EncodedString()])
        // 401 lets a browser ask again; 403 is also a refusal.
        #expect(wrong.status == 401 || wrong.status == 403, "GET / with a wrong password answered \(wrong.status)")
        #expect(!page.text.contains(server.secret), "the page never shows the secret")
    }

    static func occurrences(of needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }
}

/// Headless Chromium run as a child in its own process group with its own profile, killed (the whole group,
/// renderer and zygote included) as soon as it has answered.
enum HeadlessChromium {
    static let binary = "chromium"

    /// `chromium --headless --dump-dom URL`: the DOM after the load event (and after the virtual time budget, if
    /// one is among `extraArguments`).
    static func dumpDOM(
        _ url: String, in harness: SystemHarness, name: String, extraArguments: [String] = []
    ) async throws -> String {
        let output = harness.path("chromium/\(name).stdout")
        try await run(extraArguments + ["--dump-dom", url], stdout: output, in: harness, name: name)
        guard let dom = FileSystem.text(output), dom.contains("<html") else {
            throw SystemTestError(
                "chromium --dump-dom \(url) printed no document; stderr: "
                    + FileSystem.tail(harness.path("chromium/\(name).stderr"), lines: 15))
        }
        return dom
    }

    /// `chromium --headless --screenshot=FILE --window-size=1280,1000 URL`.
    static func screenshot(_ url: String, to file: URL, in harness: SystemHarness) async throws {
        try await run(
            ["--screenshot=\(file.path)", "--window-size=1280,1000", url],
            stdout: harness.path("chromium/screenshot.stdout"), in: harness, name: "screenshot")
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw SystemTestError(
                "chromium --screenshot wrote no \(file.path); stderr: "
                    + FileSystem.tail(harness.path("chromium/screenshot.stderr"), lines: 15))
        }
    }

    private static func run(
        _ arguments: [String], stdout: URL, in harness: SystemHarness, name: String
    ) async throws {
        let folder = harness.path("chromium")
        let home = folder.appendingPathComponent("home-\(name)")
        try FileSystem.makeDirectory(home)
        let stderr = folder.appendingPathComponent("\(name).stderr")
        var environment = Command.baseEnvironment
        environment["HOME"] = home.path  // crash reports, caches and the like stay in the scenario's folder
        environment["CHROMIUM_ERR"] = stderr.path
        let command =
            [
                binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                "--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=\(home.path)/profile",
            ] + arguments
        // sh execs chromium (same pid and process group) with stderr apart from the DOM on stdout.
        let process = try await harness.spawn(
            ["/bin/sh", "-c", "command -v \"$1\" >/dev/null || exit 127; exec \"$@\" 2>\"$CHROMIUM_ERR\"", "sh"]
                + command,
            environment: environment, log: stdout)
        let status = await process.wait(timeout: .seconds(90))
        // The browser leaves helpers (zygote, renderer) in its group: end them all, whatever happened.
        process.signalGroup(SIGKILL)
        guard let status else {
            await process.stop(grace: .seconds(1))
            throw SystemTestError("\(binary) \(arguments.joined(separator: " ")) did not finish within 90 s")
        }
        if status == 127 {
            throw SystemTestError("`\(binary)` is not installed (Debian package chromium; `make deps` installs it)")
        }
        guard status == 0 else {
            throw SystemTestError(
                "\(binary) \(arguments.joined(separator: " ")) exited \(status); stderr: "
                    + FileSystem.tail(stderr, lines: 15))
        }
    }
}
