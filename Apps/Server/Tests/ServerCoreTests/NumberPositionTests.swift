import Foundation
import Testing

@testable import ServerCore

/// Issue 19 item 13: `1.5` for a count, `2^64` and `1e400` were refused with a message naming no line or column.
@Suite(.timeLimit(.minutes(2))) struct NumberPositionTests {
    @Test(arguments: ["1.5", "18446744073709551616", "1e400", "-1e400", "\"7\""])
    func aNumberThatDoesNotFitSaysWhere(count: String) async throws {
        let server = try await TestServer()
        let body = "{\"agent\": \"a\", \"trigger\": \"t\",\n  \"status\": \"failed\", \"count\": \(count)}"
        let response = try await server.send(.POST, "/v1/runs", body: body, bearer: true)
        #expect(response.status == 400, "\(response.text)")
        let detail = try response.json()["detail"] as? String ?? ""
        #expect(detail.hasPrefix("line 2, column 32: "), "\(detail)")
        #expect(detail.contains("count"), "\(detail)")
    }

    @Test func valuesAreLocatedByPath() throws {
        let text = "{\"a\": [1, {\"b\": 2}],\n \"c\\u0064\": 3}"
        let checker = JSONSyntaxChecker()
        #expect(checker.position(ofValueAt: ["a", "1", "b"], in: Array(text.utf8)) ?? (0, 0) == (1, 17))
        #expect(checker.position(ofValueAt: ["cd"], in: Array(text.utf8)) ?? (0, 0) == (2, 13))
        #expect(checker.position(ofValueAt: ["x"], in: Array(text.utf8)) == nil)
    }
}
