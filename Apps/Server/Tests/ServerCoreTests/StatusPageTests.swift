import Foundation
import ProstagmaProtocol
import ServerCore
import Testing

/// The status page renderer: a pure function from a snapshot to HTML, checked without a server.
@Suite("Status page", .timeLimit(.minutes(2)))
struct StatusPageTests {
    static let now = Date(timeIntervalSince1970: 1_795_600_000)  // 2026-11-25T09:46:40Z

    static func run(
        id: String = "run-1", agent: String = "web-1", status: RunStatus = "succeeded", steps: [RunReport.Step] = [],
        logTail: String? = "deployed\n", finishedAt: Date? = now.addingTimeInterval(-28), duration: Double = 2
    ) -> RunReport {
        RunReport(
            id: id, agent: agent, trigger: "website", count: 7, status: status,
            startedAt: (finishedAt ?? now).addingTimeInterval(-duration).wire,
            finishedAt: finishedAt?.wire, steps: steps, logTail: logTail)
    }

    /// The newest run an agents row summarises.
    static func lastRun(
        id: String, status: RunStatus, durationSeconds: Double = 2, finishedAt: Date? = nil
    ) -> RunReport {
        run(id: id, status: status, finishedAt: finishedAt ?? now.addingTimeInterval(-60), duration: durationSeconds)
    }

    static func agent(_ name: String, state: AgentLiveness = .live, lastRun: RunReport? = nil) -> AgentSummary {
        AgentSummary(
            name: name, host: "host-\(name)", triggers: ["website"], state: state,
            lastSeen: now.addingTimeInterval(-12),
            pollIntervalSeconds: 5, lastRun: lastRun)
    }

    static func snapshot(
        agents: [AgentSummary] = [], runs: [RunReport] = [],
        triggers: [TriggerState] = [
            .init(trigger: "website", count: 7, lastIncrement: now.addingTimeInterval(-31))
        ]
    ) -> StatusSnapshot {
        StatusSnapshot(triggers: triggers, agents: agents, runs: runs, serverEpoch: "epoch-1", generatedAt: now)
    }

    /// A fleet with one healthy agent and one whose run failed at its second step, like the system test's.
    static let mixedFleet = snapshot(
        agents: [
            agent("web-1", lastRun: lastRun(id: "ok-run", status: "succeeded", durationSeconds: 2, finishedAt: now)),
            agent("web-2", state: .stale, lastRun: lastRun(id: "bad-run", status: "failed", durationSeconds: 1.5)),
        ],
        runs: [
            run(
                id: "bad-run", agent: "web-2", status: "failed",
                steps: [
                    .init(index: 0, kind: "shell", status: "succeeded", durationSeconds: 0.2, exitCode: 0),
                    .init(index: 1, kind: "shell", status: "failed", durationSeconds: 1.3, exitCode: 3),
                    .init(index: 2, kind: "unzip", status: "skipped", durationSeconds: 0),
                ],
                logTail: "[step 2] <script>alert(1)</script>\n"),
            run(id: "ok-run", steps: [.init(index: 0, kind: "shell", status: "succeeded", durationSeconds: 2)]),
        ])

    static func occurrences(of needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    // MARK: - Escaping

    @Test(arguments: [
        ("plain", "plain"),
        ("a & b", "a &amp; b"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("say \"hi\"", "say &quot;hi&quot;"),
        ("O'Brien", "O&#39;Brien"),
        ("&lt;", "&amp;lt;"),
        ("ünïcödé ✓", "ünïcödé ✓"),
    ])
    func escapeReplacesTheFiveSpecialCharacters(input: String, expected: String) {
        #expect(StatusPage.escape(input) == expected)
    }

    @Test func aScriptTagInALogTailStaysText() {
        let html = StatusPage.render(Self.mixedFleet)
        #expect(html.contains("[step 2] &lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!html.contains("alert(1)</script>"))
        #expect(Self.occurrences(of: "<script", in: html) == 1, "only the page's own script element")
    }

    @Test func quotesAndTagsInAgentNamesCannotBreakOutOfTheirText() {
        let evil = "evil\" onmouseover=\"alert(1)' <b>bold</b>"
        let html = StatusPage.render(
            Self.snapshot(
                agents: [Self.agent(evil, lastRun: Self.lastRun(id: evil, status: "failed"))],
                runs: [Self.run(id: evil, agent: evil, status: "failed")]))
        #expect(html.contains("evil&quot; onmouseover=&quot;alert(1)&#39; &lt;b&gt;bold&lt;/b&gt;"))
        #expect(!html.contains("onmouseover=\""))
        #expect(!html.contains("<b>"))
    }

    @Test func aStatusTextOutsideTheKnownOnesIsEscapedAndNeverUsedAsAClass() {
        let html = StatusPage.render(Self.snapshot(runs: [Self.run(status: "x\" onclick=\"y")]))
        #expect(html.contains("x&quot; onclick=&quot;y"))
        #expect(!html.contains("onclick=\""))
        #expect(html.contains("class=\"badge other\""))
    }

    // MARK: - Content

    @Test func liveAndStaleAgentsAreShownWithTheirState() throws {
        let html = StatusPage.render(Self.mixedFleet)
        let agents = try #require(Self.section("agents", of: html))
        #expect(agents.contains("web-1") && agents.contains("web-2"))
        #expect(agents.contains("<span class=\"badge ok\">live</span>"))
        #expect(agents.contains("<tr class=\"stale failed\">"))
        #expect(agents.contains("<span class=\"badge warn\">stale</span>"))
        #expect(agents.contains("(12 s ago)"), "last seen as a relative age")
        #expect(agents.contains("host-web-2"))
        #expect(html.contains("1 live, 1 stale"))
    }

    @Test func aFailedRunIsExpandedWithItsFailingStepAndLogTail() throws {
        let html = StatusPage.render(Self.mixedFleet)
        let runs = try #require(Self.section("runs", of: html))
        #expect(runs.contains("<details id=\"run-bad-run\" class=\"run failed\" open>"))
        #expect(runs.contains("<span class=\"badge failed\">failed</span>"))
        #expect(runs.contains("Failed at step 2 (shell): exit code 3"))
        #expect(runs.contains("<pre class=\"log\">[step 2] &lt;script&gt;alert(1)&lt;/script&gt;\n</pre>"))
        #expect(runs.contains("<span class=\"badge other\">skipped</span>"), "later steps are shown as skipped")
        #expect(html.contains("<title>Prostagma status — 1 failed — 1 stale</title>"))
        #expect(html.contains("1 failed run</strong> among the last 2"))
    }

    @Test func aSucceededRunIsCollapsed() throws {
        let html = StatusPage.render(Self.mixedFleet)
        #expect(html.contains("<details id=\"run-ok-run\" class=\"run ok\">"))
    }

    @Test func aFailedStepsMessageIsShown() {
        let step = RunReport.Step(
            index: 0, kind: "download", status: "failed", durationSeconds: 0.5, message: "HTTP 404 from <origin>")
        let html = StatusPage.render(Self.snapshot(runs: [Self.run(status: "failed", steps: [step])]))
        #expect(html.contains("Failed at step 1 (download): HTTP 404 from &lt;origin&gt;"))
    }

    @Test func anExitCodeRepeatedInTheMessageIsSaidOnce() {
        let step = RunReport.Step(
            index: 1, kind: "shell", status: "failed", durationSeconds: 0.1, exitCode: 3, message: "exit status 3")
        let html = StatusPage.render(Self.snapshot(runs: [Self.run(status: "failed", steps: [step])]))
        #expect(html.contains("Failed at step 2 (shell): exit code 3</p>"))
    }

    @Test func anAgentsLastRunLinksToItsDetailsWhenShown() {
        let html = StatusPage.render(Self.mixedFleet)
        #expect(html.contains("<a href=\"#run-bad-run\"><span class=\"badge failed\">failed</span></a>"))
        let unlisted = StatusPage.render(
            Self.snapshot(agents: [Self.agent("a", lastRun: Self.lastRun(id: "gone", status: "succeeded"))]))
        #expect(!unlisted.contains("href=\"#run-gone\""))
    }

    @Test func anEmptyFleetRendersAHelpfulEmptyState() {
        let html = StatusPage.render(Self.snapshot(triggers: []))
        #expect(html.contains("No trigger has been incremented yet"))
        #expect(html.contains("<code>POST /v1/triggers/NAME</code>"))
        #expect(html.contains("No agent has contacted this server yet"))
        #expect(html.contains("<code>PROSTAGMA_HOST</code>"))
        #expect(html.contains("No run has been reported yet"))
        #expect(!html.contains("<table"))
        #expect(html.contains("0 agents (0 live, 0 stale)"))
    }

    // MARK: - Document

    @Test(arguments: [false, true])
    func thePageReferencesNoExternalAsset(empty: Bool) throws {
        let html = StatusPage.render(empty ? Self.snapshot(triggers: []) : Self.mixedFleet)
        #expect(!html.contains("http://"))
        #expect(!html.contains("https://"))
        #expect(!html.contains("<script src"))
        #expect(!html.contains(" src="))
        #expect(!html.contains("@import"))
        #expect(!html.contains("url("))
        // Every href points into the page or is the empty data: icon.
        let hrefs = html.components(separatedBy: "href=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
        #expect(!hrefs.isEmpty)
        for href in hrefs {
            #expect(href.hasPrefix("#") || href == "data:,", "href \(href)")
        }
    }

    @Test func thePageIsOneHTML5DocumentThatRefreshesOnlyThroughItsScript() {
        let html = StatusPage.render(Self.mixedFleet)
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        #expect(html.hasSuffix("</html>\n"))
        #expect(Self.occurrences(of: "<main", in: html) == 1)
        #expect(Self.occurrences(of: "<script>", in: html) == 1)
        #expect(!html.lowercased().contains("http-equiv=\"refresh\""))
        #expect(!html.contains("<noscript"))
        #expect(html.contains("setTimeout(refresh, 5000)"))
        #expect(html.contains("Reload the page to see new data."), "the text shown without JavaScript")
        // The script runs after <main> exists and is the only thing after it.
        let main = html.range(of: "</main>")!.upperBound
        #expect(html[main...].hasPrefix("\n<script>"))
    }

    @Test func theContentSecurityPolicyAllowsOnlyThePagesOwnScript() {
        let policy = StatusPage.contentSecurityPolicy
        #expect(policy.contains("default-src 'none'"))
        #expect(policy.contains("script-src 'sha256-"))
        #expect(!policy.contains("script-src 'unsafe-inline'"))
        #expect(policy.contains("connect-src 'self'"))
        let html = StatusPage.render(Self.mixedFleet)
        #expect(html.contains("content=\"\(StatusPage.escape(policy))\""))
    }

    // MARK: - Times

    @Test(
        arguments: [
            (0.0, "just now"), (0.9, "just now"), (12, "12 s ago"), (59.9, "59 s ago"), (60, "1 min ago"),
            (3599, "59 min ago"), (3600, "1 h ago"), (86_399, "23 h ago"), (2 * 86_400 + 5, "2 d ago"), (-4, "in 4 s"),
            (-120, "in 2 min"),
        ] as [(Double, String)])
    func relativeAgesAreMeasuredFromTheInjectedNow(secondsAgo: Double, expected: String) {
        #expect(StatusPage.age(of: Self.now.addingTimeInterval(-secondsAgo), now: Self.now) == expected)
    }

    @Test func datesAreShownInUTCRFC3339() {
        let date = Date(timeIntervalSince1970: 1_795_600_000)  // 2026-11-25T09:46:40Z
        #expect(StatusPage.rfc3339(date) == "2026-11-25T09:46:40Z")
        let html = StatusPage.render(Self.snapshot(agents: [Self.agent("a")]))
        #expect(html.contains("<time datetime=\"2026-11-25T09:46:28Z\">2026-11-25T09:46:28Z</time>"))
    }

    @Test(
        arguments: [
            (0.42, "420 ms"), (12.34, "12.3 s"), (192, "3 min 12 s"), (7500, "2 h 5 min"), (-1, "—"), (.nan, "—"),
        ] as [(Double, String)])
    func durationsReadForPeople(seconds: Double, expected: String) {
        #expect(StatusPage.duration(seconds) == expected)
    }

    /// The HTML of `<section id="name">`, if present.
    static func section(_ name: String, of html: String) -> Substring? {
        guard let start = html.range(of: "<section id=\"\(name)\">") else { return nil }
        guard let end = html.range(of: "</section>", range: start.upperBound..<html.endIndex) else { return nil }
        return html[start.lowerBound..<end.upperBound]
    }
}

extension Date {
    /// The wire's text for this time.
    fileprivate var wire: String { Timestamp.format(self) }
}
