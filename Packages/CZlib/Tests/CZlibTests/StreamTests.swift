import CZlib
import Testing

@Suite(.timeLimit(.minutes(1))) struct StreamTests {
    static func text(_ count: Int) -> [UInt8] {
        let words = Array("deploy trigger agent server artifact cache zip yaml ".utf8)
        return (0..<count).map { words[$0 % words.count] }
    }

    static func random(_ count: Int, seed: UInt64 = 42) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    @Test(arguments: [ZlibFormat.raw, .zlib, .gzip])
    func roundTripsText(format: ZlibFormat) throws {
        let input = Self.text(1_000_000)
        let compressed = try DeflateStream.compress(input, format: format, level: 6)
        #expect(compressed.count < input.count / 10)
        #expect(try InflateStream.decompress(compressed, format: format) == input)
    }

    @Test(arguments: [0, 1, 65_535, 65_536, 65_537, 300_001])
    func roundTripsRandomOfEverySize(count: Int) throws {
        let input = Self.random(count)
        let compressed = try DeflateStream.compress(input, format: .raw, level: 1)
        #expect(try InflateStream.decompress(compressed, format: .raw) == input)
    }

    @Test func streamsInSmallPieces() throws {
        let input = Self.text(200_000) + Self.random(100_000)
        let deflater = try DeflateStream(format: .gzip, level: 9, chunkSize: 1000)
        var compressed: [UInt8] = []
        for start in stride(from: 0, to: input.count, by: 3333) {
            try deflater.compress(Array(input[start..<min(input.count, start + 3333)])) {
                compressed.append(contentsOf: $0)
            }
        }
        try deflater.finish { compressed.append(contentsOf: $0) }

        let inflater = try InflateStream(format: .gzip, chunkSize: 777)
        var output: [UInt8] = []
        for start in stride(from: 0, to: compressed.count, by: 101) {
            try inflater.decompress(Array(compressed[start..<min(compressed.count, start + 101)])) {
                output.append(contentsOf: $0)
            }
        }
        #expect(inflater.isFinished)
        #expect(output == input)
        #expect(inflater.totalOut == UInt64(input.count))
    }

    @Test func reportsWhereTheStreamEnds() throws {
        let compressed = try DeflateStream.compress(Self.text(5000), format: .raw)
        let trailing: [UInt8] = [0xAA, 0xBB, 0xCC]
        let inflater = try InflateStream(format: .raw)
        var count = 0
        let consumed = try inflater.decompress(compressed + trailing) { count += $0.count }
        #expect(inflater.isFinished)
        #expect(consumed == compressed.count)
        #expect(count == 5000)
    }

    @Test func decodesKnownRawDeflate() throws {
        // "hello" compressed by Python: zlib.compressobj(wbits=-15).compress(b"hello") + flush()
        let compressed: [UInt8] = [0xCB, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]
        #expect(try InflateStream.decompress(compressed) == Array("hello".utf8))
    }

    @Test func rejectsCorruptData() throws {
        #expect(throws: ZlibError.self) {
            try InflateStream.decompress([0xFF, 0xFF, 0xFF, 0xFF], format: .raw)
        }
        let error = #expect(throws: ZlibError.self) {
            try InflateStream.decompress([0x1F, 0x8B, 0x08, 0x00, 0x01], format: .zlib)
        }
        #expect(error?.description.contains("corrupt") == true || error?.description.contains("header") == true)
    }

    @Test func rejectsTruncatedData() throws {
        let compressed = try DeflateStream.compress(Self.random(10_000), format: .gzip)
        #expect(throws: ZlibError.truncated) {
            try InflateStream.decompress(Array(compressed.dropLast(20)), format: .gzip)
        }
    }

    @Test func enforcesOutputLimit() throws {
        let bomb = try DeflateStream.compress([UInt8](repeating: 0, count: 10_000_000), format: .raw, level: 9)
        #expect(bomb.count < 20_000)
        #expect(throws: ZlibError.self) { try InflateStream.decompress(bomb, limit: 1_000_000) }
    }

    @Test func gzipOutputIsReadableByGunzip() throws {
        // The gzip member header magic and deflate method, checked by gunzip-compatible readers.
        let compressed = try DeflateStream.compress(Array("x".utf8), format: .gzip)
        #expect(Array(compressed.prefix(3)) == [0x1F, 0x8B, 0x08])
    }
}
