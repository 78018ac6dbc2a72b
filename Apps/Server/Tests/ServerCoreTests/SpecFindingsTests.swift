import Foundation
import ProstagmaProtocol
import Testing

@testable import ServerCore

/// What schemathesis found when it ran in the test suite (issue 19 item 13): schema-valid input the server refused.
@Suite(.timeLimit(.minutes(1))) struct SpecFindingsTests {
    /// RFC 3339 allows offsets up to ±23:59 and a lower-case `t`/`z`; Foundation's parser stops at ±18 hours.
    @Test(arguments: [
        ("2026-06-15T00:13:06+23:08", "2026-06-14T01:05:06.000Z"), ("2026-06-15t00:13:06z", "2026-06-15T00:13:06.000Z"),
        ("2026-06-15T00:13:06.5-19:30", "2026-06-15T19:43:06.500Z"),
        ("2026-06-15T00:13:06+02:00", "2026-06-14T22:13:06.000Z"),
    ])
    func everyRFC3339OffsetParses(text: String, utc: String) throws {
        let date = try #require(Timestamp.parse(text))
        #expect(Timestamp.format(date) == utc)
    }

    @Test(arguments: ["2026-06-15T00:13:06+24:00", "2026-06-15 00:13:06Z", "yesterday"])
    func aTimeThatIsNotRFC3339IsStillRefused(text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    /// A report with the largest step index and a huge duration crashed the server at the next status page view
    /// (an arithmetic overflow), and on every view after, as the run stays stored.
    @Test func extremeStepNumbersDoNotCrashTheStatusPage() async throws {
        let server = try await TestServer()
        let body = """
            {"agent": "a", "trigger": "web", "count": 1, "status": "failed", "steps": [
            {"index": 9223372036854775807, "kind": "shell", "status": "failed", "duration_seconds": 1e300}]}
            """
        #expect(try await server.send(.POST, "/v1/runs", body: body, bearer: true).status == 201)
        let page = try await server.send(.GET, "/", bearer: true)
        #expect(page.status == 200)
        #expect(page.text.contains("9223372036854775807"), "the index is shown as sent")
        #expect(page.text.contains("1e+300 s"), "the duration is shown in seconds")
    }

    @Test func aRunWithAFarOffsetIsStored() async throws {
        let server = try await TestServer()
        let body =
            #"{"agent": "a", "trigger": "web", "count": 1, "status": "succeeded", "finished_at": "2026-06-15T00:13:06+23:08"}"#
        let response = try await server.send(.POST, "/v1/runs", body: body, bearer: true)
        #expect(response.status == 201, "\(response.text)")
    }
}
