import Testing

@testable import AgentCore

@Suite(.timeLimit(.minutes(1))) struct TriggerDecisionTests {
    static let cases: [(String, HandledState?, Observation, String)] = [
        ("first start adopts", nil, Observation(count: 7, epoch: "e1"), "adopt"),
        ("first start at zero adopts", nil, Observation(count: 0, epoch: nil), "adopt"),
        (
            "unchanged does nothing", HandledState(trigger: "t", epoch: "e1", count: 7),
            Observation(count: 7, epoch: "e1"), "nothing"
        ),
        (
            "moved while down runs once", HandledState(trigger: "t", epoch: "e1", count: 7),
            Observation(count: 9, epoch: "e1"), "run 9"
        ),
        (
            "epoch changed adopts with a warning", HandledState(trigger: "t", epoch: "e1", count: 7),
            Observation(count: 9, epoch: "e2"), "warn"
        ),
        (
            "count went down adopts with a warning", HandledState(trigger: "t", epoch: "e1", count: 7),
            Observation(count: 2, epoch: "e1"), "warn"
        ),
        (
            "original server: count up runs", HandledState(trigger: "t", epoch: nil, count: 3),
            Observation(count: 4, epoch: nil), "run 4"
        ),
        (
            "original server restarted: count down adopts", HandledState(trigger: "t", epoch: nil, count: 3),
            Observation(count: 0, epoch: nil), "warn"
        ),
        (
            "epoch unknown on one side compares counts", HandledState(trigger: "t", epoch: nil, count: 3),
            Observation(count: 3, epoch: "e9"), "nothing"
        ),
    ]

    @Test(arguments: cases)
    func decides(_ name: String, _ stored: HandledState?, _ observed: Observation, _ expected: String) {
        let decision = TriggerDecision.decide(stored: stored, observed: observed)
        switch decision {
        case .nothing: #expect(expected == "nothing", "\(name)")
        case .adopt(let warning): #expect(expected == (warning == nil ? "adopt" : "warn"), "\(name)")
        case .run(let count): #expect(expected == "run \(count)", "\(name)")
        }
    }
}

@Suite(.timeLimit(.minutes(1))) struct DurationParserTests {
    @Test(arguments: [
        ("30s", Duration.seconds(30)), ("10m", .seconds(600)), ("1h", .seconds(3600)), ("500ms", .milliseconds(500)),
        ("1h30m", .seconds(5400)), ("45", .seconds(45)), ("2.5", .milliseconds(2500)), (" 5s ", .seconds(5)),
    ])
    func parses(_ text: String, _ expected: Duration) {
        #expect(DurationParser.parse(text) == expected)
    }

    @Test(arguments: ["", "s", "10x", "ten minutes", "-5s", "5 s"])
    func rejects(_ text: String) {
        #expect(DurationParser.parse(text) == nil)
    }

    @Test func formatsInTheLargestExactUnit() {
        #expect(DurationParser.format(.seconds(600)) == "10m")
        #expect(DurationParser.format(.seconds(90)) == "90s")
        #expect(DurationParser.format(.milliseconds(1500)) == "1500ms")
        #expect(DurationParser.format(.seconds(7200)) == "2h")
    }
}

@Suite(.timeLimit(.minutes(1))) struct BackoffTests {
    @Test func growsFromOneSecondToThirtyAndResets() {
        var backoff = Backoff()
        let upper = (0..<8).map { _ in backoff.nextDelay(random: { 0.999_999 }) }
        #expect(
            upper.map { Int(($0 / .milliseconds(1)).rounded()) } == [
                1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
            ])
        backoff.reset()
        #expect(backoff.nextDelay(random: { 0 }) == .milliseconds(500))
    }

    @Test func jitterStaysWithinHalfToFullCap() {
        var backoff = Backoff()
        for _ in 0..<6 { _ = backoff.nextDelay(random: { 0.5 }) }
        let low = backoff.nextDelay(random: { 0 })
        #expect(low == .seconds(15))
    }
}

@Suite(.timeLimit(.minutes(1))) struct ConnectionStateTests {
    @Test func logsOneLinePerChangeOfState() {
        var state = ConnectionState()
        var lines: [String] = []
        if let l = state.succeeded(server: "S") { lines.append(l) }
        if let l = state.succeeded(server: "S") { lines.append(l) }
        for _ in 0..<5 {
            if let l = state.failed(server: "S", reason: "connection refused", retryIn: .seconds(1)) { lines.append(l) }
        }
        if let l = state.succeeded(server: "S") { lines.append(l) }
        if let l = state.succeeded(server: "S") { lines.append(l) }
        #expect(lines.count == 3)
        #expect(lines[0].contains("connected"))
        #expect(lines[1].contains("unreachable: connection refused"))
        #expect(lines[2].contains("reachable again"))
    }
}
