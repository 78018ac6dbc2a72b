import Testing

@testable import ArtifactCache

@Suite(.timeLimit(.minutes(3))) struct CompressionDecisionTests {
    @Test func textIsCompressedAndRandomIsNot() throws {
        let text = Fixture.text(64 * 1024, seed: 1)
        let random = Fixture.random(64 * 1024, seed: 1)
        #expect(
            try text.withUnsafeBytes { try CompressionDecision.shouldCompress(probe: $0, level: 1, threshold: 0.9) })
        #expect(
            try !random.withUnsafeBytes { try CompressionDecision.shouldCompress(probe: $0, level: 1, threshold: 0.9) })
    }

    @Test func emptyAndTinyProbesStayRaw() throws {
        #expect(
            try ![UInt8]().withUnsafeBytes {
                try CompressionDecision.shouldCompress(probe: $0, level: 1, threshold: 0.9)
            })
        #expect(
            try ![UInt8](repeating: 65, count: 10).withUnsafeBytes {
                try CompressionDecision.shouldCompress(probe: $0, level: 1, threshold: 0.9)
            })
    }

    @Test func thresholdDecides() throws {
        let text = Fixture.text(64 * 1024, seed: 2)
        // No data compresses to 1% of its size with gzip framing at this length.
        #expect(
            try !text.withUnsafeBytes { try CompressionDecision.shouldCompress(probe: $0, level: 9, threshold: 0.01) })
    }
}

@Suite(.timeLimit(.minutes(3))) struct EvictionPlannerTests {
    typealias Candidate = EvictionPlanner.Candidate

    @Test func nothingIsEvictedWithinBudget() {
        let candidates = [
            Candidate(key: "a", storedSize: 10, lastUse: 1), Candidate(key: "b", storedSize: 10, lastUse: 2),
        ]
        #expect(EvictionPlanner.victims(candidates, budget: 20).isEmpty)
    }

    @Test func oldestGoFirstUntilTheRestFits() {
        let candidates = [
            Candidate(key: "new", storedSize: 10, lastUse: 9), Candidate(key: "old", storedSize: 10, lastUse: 1),
            Candidate(key: "mid", storedSize: 10, lastUse: 5),
        ]
        #expect(EvictionPlanner.victims(candidates, budget: 15) == ["old", "mid"])
        #expect(EvictionPlanner.victims(candidates, budget: 25) == ["old"])
    }

    @Test func protectedEntriesStayEvenOverBudget() {
        let candidates = [
            Candidate(key: "big", storedSize: 100, lastUse: 1), Candidate(key: "b", storedSize: 5, lastUse: 2),
        ]
        #expect(EvictionPlanner.victims(candidates, budget: 10, protected: ["big"]) == ["b"])
    }
}
