import Testing

@testable import AgentCore

@Suite(.timeLimit(.minutes(1))) struct LineSplitterTests {
    func split(_ chunks: [[UInt8]], max: Int = 16) -> [String] {
        var splitter = LineSplitter(maxLineBytes: max)
        var lines: [String] = []
        for chunk in chunks { chunk.withUnsafeBytes { splitter.append($0) { lines.append($0) } } }
        splitter.finish { lines.append($0) }
        return lines
    }

    @Test func linesEndAtNewlinesAndCarriageReturnsBeforeThemAreDropped() {
        #expect(split([Array("one\r\ntwo\n\nthree".utf8)]) == ["one", "two", "", "three"])
    }

    @Test func aLineSplitAcrossBuffersIsDeliveredWhole() {
        #expect(split([Array("he".utf8), Array("llo\nwor".utf8), Array("ld\n".utf8)]) == ["hello", "world"])
    }

    @Test func aLongLineArrivesInPiecesOfTheMaximum() {
        #expect(split([Array("abcdefghij\n".utf8)], max: 4) == ["abcd", "efgh", "ij"])
        let pieces = split([Array("abc".utf8), Array("defghij".utf8), Array("k\n".utf8)], max: 4)
        #expect(pieces == ["abcd", "efgh", "ijk"])
    }

    @Test func aLineOfExactlyTheMaximumIsOneLine() {
        #expect(split([Array("abcd\nef".utf8)], max: 4) == ["abcd", "ef"])
        #expect(split([Array("ab".utf8), Array("cd".utf8), Array("\n".utf8)], max: 4) == ["abcd"])
    }

    @Test func nothingIsDeliveredForAnEmptyStream() {
        #expect(split([]) == [])
        #expect(split([[]]) == [])
    }

    @Test func invalidUTF8IsRepairedNotDropped() {
        #expect(split([[0x61, 0xFF, 0x62, 0x0A]]) == ["a\u{FFFD}b"])
    }
}
