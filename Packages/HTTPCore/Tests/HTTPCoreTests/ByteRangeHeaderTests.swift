import Testing

@testable import HTTPCore

@Suite(.timeLimit(.minutes(3))) struct ByteRangeHeaderTests {
    @Test(
        arguments: [
            (nil, ByteRangeHeader.Resolution.whole),
            ("bytes=0-9", .partial(0..<10)),
            ("bytes=10-", .partial(10..<100)),
            ("bytes=-5", .partial(95..<100)),
            ("bytes=90-500", .partial(90..<100)),
            ("bytes=-500", .partial(0..<100)),
            ("bytes=100-", .unsatisfiable),
            ("bytes=5-2", .whole),
            ("bytes=0-1,5-6", .whole),
            ("items=0-1", .whole),
            ("bytes=x-1", .whole),
        ] as [(String?, ByteRangeHeader.Resolution)])
    func resolvesAgainstAHundredByteFile(header: String?, expected: ByteRangeHeader.Resolution) {
        #expect(ByteRangeHeader.resolve(header, fileSize: 100) == expected)
    }
}
