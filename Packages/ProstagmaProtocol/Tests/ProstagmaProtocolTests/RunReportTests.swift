import Foundation
import ProstagmaProtocol
import Testing

@Suite(.timeLimit(.minutes(1))) struct RunReportTests {
    static let full = RunReport(
        id: "6f1c", agent: "web-1", host: "web-1.internal", trigger: "app", count: 5_000_000_000, epoch: "e1",
        status: .failed, startedAt: "2026-11-25T10:00:00.000Z", finishedAt: "2026-11-25T10:00:02.500Z",
        steps: [
            .init(
                index: 0, kind: "shell", status: .failed, durationSeconds: 2.5, exitCode: -1, message: "exit status 3"),
            .init(index: 1, kind: "unzip", status: .skipped, durationSeconds: 0),
        ],
        logTail: "boom\n")

    @Test func encodesEveryFieldAndDecodesBack() throws {
        let data = try JSONEncoder().encode(Self.full)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(
            Set(object.keys) == [
                "id", "agent", "host", "trigger", "count", "epoch", "status", "started_at", "finished_at", "steps",
                "log_tail",
            ])
        #expect(try JSONDecoder().decode(RunReport.self, from: data) == Self.full)
    }

    @Test func absentFieldsEncodeAsNull() throws {
        let report = RunReport(agent: "a", trigger: "app", count: 1, status: .succeeded)
        let text = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        #expect(text.contains("\"host\":null"))
        #expect(text.contains("\"steps\":[]"))
    }

    @Test func theMinimalBodyDecodes() throws {
        let body = #"{"agent": "a", "trigger": "app", "count": 1, "status": "succeeded"}"#
        let report = try JSONDecoder().decode(RunReport.self, from: Data(body.utf8))
        #expect(report.steps.isEmpty && report.id == nil && report.status == .succeeded)
    }

    @Test func anUnknownStatusDecodesAndIsRefusedByValidation() throws {
        let body = #"{"agent": "a", "trigger": "app", "count": 1, "status": "exploded"}"#
        let report = try JSONDecoder().decode(RunReport.self, from: Data(body.utf8))
        #expect(report.status.rawValue == "exploded")
        #expect(throws: ProtocolError.self) { try report.validated() }
    }

    @Test(arguments: [
        (RunReport(agent: "", trigger: "app", count: 1, status: .succeeded), "'agent'"),
        (RunReport(agent: "a", trigger: "..", count: 1, status: .succeeded), "dots"),
        (RunReport(agent: "a", trigger: "app", count: -1, status: .succeeded), "'count'"),
        (RunReport(agent: "a", trigger: "app", count: 1, status: .skipped), "'status'"),
        (RunReport(agent: "a", trigger: "app", count: 1, status: .succeeded, startedAt: "noon"), "'started_at'"),
        (
            RunReport(
                agent: "a", trigger: "app", count: 1, status: .failed,
                steps: [.init(index: 3, kind: "shell", status: .failed, durationSeconds: -1)]),
            "step 3 duration_seconds"
        ),
    ])
    func validationNamesTheBadField(_ report: RunReport, _ expected: String) {
        do {
            _ = try report.validated()
            Issue.record("\(report) passed validation")
        } catch {
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    /// Lengths count characters, as the spec's minLength/maxLength do: 128 three-byte characters are a valid id (a
    /// schemathesis finding: the check counted bytes), 129 are not, and an empty id is refused.
    @Test func lengthsCountCharactersAsTheSpecDoes() throws {
        func report(id: String? = nil, agent: String = "a") -> RunReport {
            RunReport(id: id, agent: agent, trigger: "app", count: 1, status: .succeeded)
        }
        #expect(throws: Never.self) { try report(id: String(repeating: "€", count: 128)).validated() }
        #expect(throws: Never.self) { try report(agent: String(repeating: "€", count: 256)).validated() }
        #expect(throws: ProtocolError.self) { try report(id: String(repeating: "€", count: 129)).validated() }
        #expect(throws: ProtocolError.self) { try report(id: "").validated() }
        #expect(throws: ProtocolError.self) { try report(agent: String(repeating: "a", count: 257)).validated() }
    }

    @Test func validationBoundsTheLogTailOnACharacterBoundary() throws {
        let tail = String(repeating: "é", count: RunReport.maximumLogTailBytes)  // 2 bytes each
        let report = RunReport(agent: "a", trigger: "app", count: 1, status: .succeeded, logTail: tail + "end")
        let bounded = try #require(try report.validated().logTail)
        #expect(bounded.utf8.count <= RunReport.maximumLogTailBytes)
        #expect(bounded.hasSuffix("éend"))
        #expect(bounded.unicodeScalars.allSatisfy { $0 == "é" || "end".unicodeScalars.contains($0) })
    }

    @Test func durationIsComputedFromTheTimes() {
        #expect(Self.full.durationSeconds == 2.5)
        #expect(Self.full.failedStep?.index == 0)
    }

    @Test func anExitCodeOutsideInt32IsADecodingError() {
        let body = #"{"index": 0, "kind": "shell", "status": "failed", "duration_seconds": 1, "exit_code": 4294967296}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(RunReport.Step.self, from: Data(body.utf8)) }
    }
}
