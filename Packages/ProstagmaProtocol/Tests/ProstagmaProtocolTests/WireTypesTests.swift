import Foundation
import ProstagmaProtocol
import Testing

@Suite(.timeLimit(.minutes(1))) struct WireTypesTests {
    @Test func triggerStateEncodesNullLastIncrementAndOmitsAnUnknownEpoch() throws {
        let text = String(decoding: try JSONEncoder().encode(TriggerState(trigger: "app", count: 0)), as: UTF8.self)
        #expect(text.contains("\"last_increment\":null"))
        #expect(!text.contains("epoch"))
        let state = TriggerState(trigger: "app", count: 2, lastIncrement: Date(timeIntervalSince1970: 1)).with(
            epoch: "e")
        #expect(try JSONDecoder().decode(TriggerState.self, from: try JSONEncoder().encode(state)) == state)
    }

    @Test func aBadTimeIsADecodingErrorAtItsKey() {
        let body = #"{"trigger": "app", "count": 1, "last_increment": "yesterday"}"#
        do {
            _ = try JSONDecoder().decode(TriggerState.self, from: Data(body.utf8))
            Issue.record("decoded")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.codingPath.map(\.stringValue) == ["last_increment"])
            #expect(context.debugDescription.contains("yesterday"))
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func agentSummaryRoundTrips() throws {
        let agent = AgentSummary(
            name: "web-1", host: nil, triggers: ["app"], state: .stale, lastSeen: Date(timeIntervalSince1970: 10),
            pollIntervalSeconds: 5, lastRun: RunReportTests.full)
        let data = try JSONEncoder().encode(agent)
        #expect(try JSONDecoder().decode(AgentSummary.self, from: data) == agent)
        #expect(String(decoding: data, as: UTF8.self).contains("\"last_seen\":\"1970-01-01T00:00:10.000Z\""))
    }

    @Test func headerNamesAreTheDocumentedOnes() {
        #expect(
            [HeaderName.agent, HeaderName.host, HeaderName.pollInterval, HeaderName.sha256] == [
                "X-Prostagma-Agent", "X-Prostagma-Host", "X-Prostagma-Poll-Interval", "X-Prostagma-SHA256",
            ])
    }
}
