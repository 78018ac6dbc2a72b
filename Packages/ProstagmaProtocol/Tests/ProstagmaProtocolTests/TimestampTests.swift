import Foundation
import ProstagmaProtocol
import Testing

@Suite(.timeLimit(.minutes(1))) struct TimestampTests {
    @Test func formatsUTCWithMilliseconds() {
        let date = Date(timeIntervalSince1970: 1_795_600_000.123)
        #expect(Timestamp.format(date) == "2026-11-25T09:46:40.123Z")
    }

    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00.000Z"), (951_782_400.9996, "2000-02-29T00:00:01.000Z"),
        (-1.5, "1969-12-31T23:59:58.500Z"), (4_102_444_799.999, "2099-12-31T23:59:59.999Z"),
    ])
    func formatsLeapDaysRoundingAndTimesBefore1970(_ seconds: Double, _ expected: String) {
        #expect(Timestamp.format(Date(timeIntervalSince1970: seconds)) == expected)
    }

    @Test func everyMillisecondOfADayRoundTrips() throws {
        for millis in stride(from: 1_795_564_800_000, to: 1_795_564_800_000 + 86_400_000, by: 997) {
            let text = Timestamp.format(Date(timeIntervalSince1970: Double(millis) / 1000))
            let back = try #require(Timestamp.parse(text))
            #expect(Timestamp.format(back) == text)
        }
    }

    @Test func parsesWithAndWithoutFractionAndRoundTrips() throws {
        let parsed = try #require(Timestamp.parse("2026-11-25T10:00:00.123Z"))
        #expect(Timestamp.format(parsed) == "2026-11-25T10:00:00.123Z")
        let whole = try #require(Timestamp.parse("2026-11-25T10:00:00Z"))
        #expect(whole.timeIntervalSince1970 == 1_795_600_800)
    }

    @Test(arguments: ["", "yesterday", "2026-13-01T00:00:00Z", "2026-11-25 10:00:00"])
    func refusesWhatIsNotRFC3339(_ text: String) {
        #expect(Timestamp.parse(text) == nil)
    }
}
