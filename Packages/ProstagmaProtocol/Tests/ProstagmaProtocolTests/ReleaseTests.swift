import Foundation
import ProstagmaProtocol
import Testing

@Suite(.timeLimit(.minutes(1))) struct ReleaseTests {
    static let full = Release(
        trigger: "web", count: 7, params: ["version": "1.4.2", "artifact": "s3://b/app-1.4.2.zip"], note: "hotfix",
        source: .github, requestedBy: "ci", forge: ForgePush(ref: "refs/heads/main", commit: "abc", pusher: "ann"),
        rollbackOf: 5, createdAt: Date(timeIntervalSince1970: 1_700_000_000.25),
        outcome: ReleaseOutcome(succeeded: 2, failed: 1))

    @Test func releaseRoundTripsAndNamesItsFieldsInSnakeCase() throws {
        let data = try JSONEncoder().encode(Self.full)
        #expect(try JSONDecoder().decode(Release.self, from: data) == Self.full)
        let text = String(decoding: data, as: UTF8.self)
        for key in ["\"rollback_of\":5", "\"requested_by\":\"ci\"", "\"created_at\":\"2023-11-14T22:13:20.250Z\""] {
            #expect(text.contains(key), "\(key) in \(text)")
        }
    }

    @Test func aMinimalReleaseDecodesWithEmptyParamsAndOmitsTheOutcome() throws {
        let body = #"{"trigger":"web","count":1,"source":"compat","created_at":"2026-01-01T00:00:00Z"}"#
        let release = try JSONDecoder().decode(Release.self, from: Data(body.utf8))
        #expect(release.params.isEmpty && release.note == nil && release.outcome == nil)
        let text = String(decoding: try JSONEncoder().encode(release), as: UTF8.self)
        #expect(!text.contains("outcome"))
        #expect(text.contains("\"note\":null"))
    }

    /// An agent reads its long poll leniently: a release it cannot read (a newer server's number where it knows
    /// strings) leaves the rest of the state and says why; the strict decoding still refuses it; a state that does
    /// not read at all still throws.
    @Test func aLenientStateKeepsTheCountWhenOnlyItsReleaseDoesNotRead() throws {
        let unreadable =
            #"{"trigger":"web","count":8,"epoch":"e1","last_increment":null,"#
            + #""release":{"trigger":"web","count":8,"params":{"replicas":3},"source":"api","#
            + #""created_at":"2026-01-01T00:00:00Z"}}"#
        let lenient = try JSONDecoder().decode(TriggerState.Lenient.self, from: Data(unreadable.utf8))
        #expect(lenient.state == TriggerState(trigger: "web", count: 8, epoch: "e1"))
        let reason = try #require(lenient.releaseError)
        #expect(reason.contains("replicas"), "the reason names the field: \(reason)")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(TriggerState.self, from: Data(unreadable.utf8)) }

        let state = TriggerState(trigger: "web", count: 7, epoch: "e1", release: Self.full)
        let readable = try JSONDecoder().decode(TriggerState.Lenient.self, from: JSONEncoder().encode(state))
        #expect(readable.state == state)
        #expect(readable.releaseError == nil)

        let noCount = #"{"trigger":"web","count":"eight","release":null}"#
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(TriggerState.Lenient.self, from: Data(noCount.utf8))
        }
    }

    @Test func triggerStateCarriesTheReleaseOnlyWhenThereIsOne() throws {
        let bare = String(decoding: try JSONEncoder().encode(TriggerState(trigger: "web", count: 0)), as: UTF8.self)
        #expect(!bare.contains("release"))
        let state = TriggerState(trigger: "web", count: 7, epoch: "e", release: Self.full)
        #expect(try JSONDecoder().decode(TriggerState.self, from: try JSONEncoder().encode(state)) == state)
    }

    @Test func incrementRequestFieldsAreOptionalAndANonStringValueFailsAtItsKey() throws {
        #expect(try JSONDecoder().decode(IncrementRequest.self, from: Data("{}".utf8)) == IncrementRequest())
        do {
            _ = try JSONDecoder().decode(IncrementRequest.self, from: Data(#"{"params":{"n":1}}"#.utf8))
            Issue.record("decoded a number as a param value")
        } catch let DecodingError.typeMismatch(_, context) {
            #expect(context.codingPath.map(\.stringValue) == ["params", "n"])
        }
    }

    @Test(arguments: [
        (["1x": "v"], "params.\"1x\""),
        (["a-b": "v"], "params.\"a-b\""),
        ([String(repeating: "a", count: 65): "v"], "params.\"aaaa"),
        (["big": String(repeating: "x", count: 4097)], "params.big: the value is 4097 bytes"),
        (["version": "1", "VERSION": "2"], "PROSTAGMA_PARAM_VERSION"),
    ])
    func badParamsAreRefusedNamingTheParam(params: [String: String], expected: String) {
        #expect(throws: ProtocolError.self) { try IncrementRequest(params: params).validated() }
        do {
            _ = try IncrementRequest(params: params).validated()
        } catch {
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    @Test func limitsAreInclusive() throws {
        var params: [String: String] = [:]
        for i in 0..<32 { params["p\(i)"] = String(repeating: "x", count: 4096) }
        params[String(repeating: "a", count: 64)] = nil
        _ = try IncrementRequest(params: params, note: String(repeating: "n", count: 1024)).validated()
        params["p32"] = "x"
        #expect(throws: ProtocolError.self) { try IncrementRequest(params: params).validated() }
        #expect(throws: ProtocolError.self) {
            try IncrementRequest(note: String(repeating: "n", count: 1025)).validated()
        }
    }

    @Test func rollbackTargetIsACountOrPrevious() throws {
        let decoder = JSONDecoder()
        #expect(try decoder.decode(RollbackRequest.self, from: Data(#"{"to":3}"#.utf8)).to == .count(3))
        #expect(try decoder.decode(RollbackRequest.self, from: Data(#"{"to":"previous"}"#.utf8)).to == .previous)
        for bad in [#"{"to":0}"#, #"{"to":"last"}"#, #"{}"#, #"{"to":1.5}"#] {
            #expect(throws: DecodingError.self, "\(bad)") {
                try decoder.decode(RollbackRequest.self, from: Data(bad.utf8))
            }
        }
        let request = RollbackRequest(to: .count(4), note: "bad build")
        #expect(try decoder.decode(RollbackRequest.self, from: try JSONEncoder().encode(request)) == request)
        #expect(RollbackRequest.Target("previous") == .previous)
        #expect(RollbackRequest.Target("12") == .count(12))
        #expect(RollbackRequest.Target("0") == nil && RollbackRequest.Target("x") == nil)
    }

    @Test func releaseListEncodesTheLastPageAsNull() throws {
        let page = ReleaseList(releases: [Self.full], nextBefore: nil)
        let text = String(decoding: try JSONEncoder().encode(page), as: UTF8.self)
        #expect(text.contains("\"next_before\":null"))
        #expect(try JSONDecoder().decode(ReleaseList.self, from: Data(text.utf8)) == page)
    }

    @Test func paramsBecomeUpperCasedEnvironmentNames() {
        #expect(ReleaseRules.environmentName(of: "artifact_url") == "PROSTAGMA_PARAM_ARTIFACT_URL")
        #expect(ReleaseRules.isValidParamName("_x9") && !ReleaseRules.isValidParamName(""))
    }
}
