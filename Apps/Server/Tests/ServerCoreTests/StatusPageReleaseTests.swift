import Foundation
import ProstagmaProtocol
import ServerCore
import Testing

/// The status page's releases: each trigger's current one, each run's, and each trigger's history with outcomes.
@Suite("Status page releases", .timeLimit(.minutes(2)))
struct StatusPageReleaseTests {
    static let now = StatusPageTests.now

    static func release(
        _ count: Int64, params: [String: String] = ["version": "1.4.\(7)"], note: String? = nil,
        source: ReleaseSource = .api, forge: ForgePush? = nil, rollbackOf: Int64? = nil, outcome: ReleaseOutcome? = nil
    ) -> Release {
        Release(
            trigger: "website", count: count, params: params, note: note, source: source,
            requestedBy: source == .api ? "secret" : nil, forge: forge, rollbackOf: rollbackOf,
            createdAt: now.addingTimeInterval(-Double(100 - count)), outcome: outcome)
    }

    static func snapshot(current: Release?, history: [Release] = [], runReleases: [Int64: Release] = [:])
        -> StatusSnapshot
    {
        StatusSnapshot(
            triggers: [
                TriggerState(trigger: "website", count: 7, lastIncrement: now.addingTimeInterval(-31), release: current)
            ],
            agents: [], runs: [StatusPageTests.run()], serverEpoch: "epoch-1", generatedAt: now,
            history: history.isEmpty ? [:] : ["website": history], runReleases: ["website": runReleases])
    }

    @Test func theCurrentReleaseShowsItsParamsNoteAndSourceEscaped() throws {
        let current = Self.release(
            7, params: ["version": "<b>1.4.2</b>", "artifact": "s3://b/app.zip"], note: "<script>alert(2)</script>",
            source: .github, forge: ForgePush(ref: "refs/heads/main", commit: "9f3c2a1b8e7d6c5b4a39", pusher: "o'cat"))
        let html = StatusPage.render(Self.snapshot(current: current))
        let triggers = try #require(StatusPageTests.section("triggers", of: html))
        #expect(triggers.contains("<code>version=&lt;b&gt;1.4.2&lt;/b&gt;</code>"))
        #expect(triggers.contains("<code>artifact=s3://b/app.zip</code>"))
        #expect(triggers.contains("&lt;script&gt;alert(2)&lt;/script&gt;"))
        #expect(triggers.contains("<span class=\"source\">github</span>"))
        #expect(triggers.contains("o&#39;cat refs/heads/main 9f3c2a1b8e7d"))
        #expect(!html.contains("<b>1.4.2</b>"))
        #expect(!html.contains("<script>alert(2)"))
        #expect(triggers.contains("href=\"#history-website\""))
    }

    @Test func aCountWithoutAReleaseSaysSo() throws {
        let html = StatusPage.render(Self.snapshot(current: nil))
        let triggers = try #require(StatusPageTests.section("triggers", of: html))
        #expect(triggers.contains("none recorded (made before releases)"))
        let runs = try #require(StatusPageTests.section("runs", of: html))
        #expect(runs.contains("Release #7: none recorded"))
    }

    @Test func eachRunShowsTheReleaseItRan() throws {
        let ran = Self.release(7, params: ["version": "1.4.2", "flag": "\"on\""], note: "hotfix")
        let html = StatusPage.render(Self.snapshot(current: ran, runReleases: [7: ran]))
        let runs = try #require(StatusPageTests.section("runs", of: html))
        #expect(
            runs.contains(
                "#7 <span class=\"params\"><code>flag=&quot;on&quot;</code> <code>version=1.4.2</code></span>"))
        #expect(runs.contains("Release #7: <span class=\"source\">api</span> · <q>hotfix</q>"))
    }

    @Test func theHistoryListsEachReleasesOutcomeAcrossAgents() throws {
        let history = [
            Self.release(7, rollbackOf: 5, outcome: ReleaseOutcome(succeeded: 2, failed: 1)),
            Self.release(6, params: [:], source: .compat, outcome: ReleaseOutcome()),
            Self.release(
                5, params: ["version": String(repeating: "x", count: 300)], outcome: ReleaseOutcome(succeeded: 3)),
        ]
        let html = StatusPage.render(Self.snapshot(current: history[0], history: history))
        let section = try #require(StatusPageTests.section("releases", of: html))
        #expect(section.contains("<details id=\"history-website\" class=\"history\">"))
        #expect(section.contains("3 releases, newest #7"))
        #expect(section.contains("rollback of #5"))
        #expect(
            section.contains("<span class=\"badge ok\">succeeded</span> 2 <span class=\"badge failed\">failed</span> 1")
        )
        #expect(section.contains("no run reported"))
        #expect(section.contains("<span class=\"source\">compat</span>"))
        #expect(section.contains("<code>version=\(String(repeating: "x", count: 200))…</code>"))
        #expect(!section.contains(String(repeating: "x", count: 201)))
        #expect(section.contains("GET /v1/triggers/website/releases"))
        // Newest first.
        let seven = try #require(section.range(of: "<td class=\"num\">7</td>"))
        let five = try #require(section.range(of: "<td class=\"num\">5</td>"))
        #expect(seven.lowerBound < five.lowerBound)
    }

    @Test func theServedPageShowsTheStoresReleasesAndOutcomes() async throws {
        let server = try await TestServer()
        let body = #"{"params": {"version": "<1.4.2>"}, "note": "first"}"#
        #expect(try await server.send(.POST, "/v1/triggers/app", body: body, bearer: true).status == 200)
        _ = try await server.send(.POST, "/v1/triggers/app", body: #"{"params": {"version": "2"}}"#, bearer: true)
        let run = #"{"agent": "web-1", "trigger": "app", "count": 1, "status": "succeeded"}"#
        #expect(try await server.send(.POST, "/v1/runs", body: run, bearer: true).status == 201)
        let page = try await server.send(.GET, "/", bearer: true)
        #expect(page.status == 200)
        let triggers = try #require(StatusPageTests.section("triggers", of: page.text))
        #expect(triggers.contains("<code>version=2</code>"))
        let runs = try #require(StatusPageTests.section("runs", of: page.text))
        #expect(
            runs.contains(
                "Release #1: <span class=\"source\">api</span> · <q>first</q> · <code>version=&lt;1.4.2&gt;</code>"))
        let history = try #require(StatusPageTests.section("releases", of: page.text))
        #expect(history.contains("id=\"history-app\""))
        #expect(history.contains("<span class=\"badge ok\">succeeded</span> 1"))
        #expect(history.contains("2 releases, newest #2"))
        #expect(!page.text.contains("<1.4.2>"))
    }

    @Test func withoutAnyReleaseTheHistorySaysHowToMakeOne() throws {
        let html = StatusPage.render(Self.snapshot(current: nil))
        let section = try #require(StatusPageTests.section("releases", of: html))
        #expect(section.contains("No release yet"))
        #expect(!section.contains("<table"))
    }
}
