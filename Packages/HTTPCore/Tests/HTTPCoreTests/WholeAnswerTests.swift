import HTTPCore
import NIOCore
import Synchronization
import Testing

/// An answer held in memory is written into the connection's pipeline directly, not through the async writer that
/// streamed and file answers use. These tests hold what the writer gave for free: order behind a streamed answer,
/// and a client that does not read holding the server back.
@Suite(.timeLimit(.minutes(2))) struct WholeAnswerTests {
    static let bigAnswer = 256 * 1024

    @Test func wholeAnswersPipelinedBehindStreamedOnesKeepTheirOrder() async throws {
        var router = Router()
        router.get("/streamed/:word") { request, _ in
            let word = request.parameters["word"] ?? ""
            let chunks = (0..<20).map { "\(word)\($0);" }
            return HTTPResponse(
                body: .stream(length: chunks.joined().utf8.count) { writer in
                    for chunk in chunks { try await writer.write(chunk) }
                })
        }
        router.get("/whole/:word") { request, _ in HTTPResponse(text: request.parameters["word"] ?? "") }
        try await withTestServer(router) { _, port in
            let paths = (0..<12).map { $0.isMultiple(of: 2) ? "/streamed/s\($0)" : "/whole/w\($0)" }
            let requests = paths.map { "GET \($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined()
            let (text, _) = try await RawConnection.exchange(port: port, sending: requests) {
                completeResponses(in: $0).count == paths.count
            }
            let bodies = completeResponses(in: text).map { $0.components(separatedBy: "\r\n\r\n").last ?? "" }
            let expected = (0..<12).map { index in
                index.isMultiple(of: 2) ? (0..<20).map { "s\(index)\($0);" }.joined() : "w\(index)"
            }
            #expect(bodies == expected)
        }
    }

    @Test func aClientThatDoesNotReadStopsTheServerAnswering() async throws {
        let answered = Atomic<Int>(0)
        let body = ByteBuffer(repeating: UInt8(ascii: "x"), count: Self.bigAnswer)
        var router = Router()
        router.get("/big/:index") { request, _ in
            answered.add(1, ordering: .relaxed)
            var answer = ByteBuffer(string: "\(request.parameters["index"] ?? "")|")
            answer.writeImmutableBuffer(body)
            return HTTPResponse(body: ResponseBody(buffer: answer))
        }
        let count = 100
        try await withTestServer(router) { _, port in
            let connection = try await RawConnection.connect(port: port, receiveBuffer: 16 * 1024)
            try await connection.channel.executeThenClose { inbound, outbound in
                let requests = (0..<count).map { "GET /big/\($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined()
                try await outbound.write(ByteBuffer(string: requests))
                // Nothing is read yet: the server answers until the socket and NIO's high-water mark are full, then
                // must stop taking requests. Wait until the count stops moving (or reaches every request).
                var last = -1
                var still = 0
                let deadline = ContinuousClock.now + .seconds(30)
                while still < 20, last < count, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(25))
                    let now = answered.load(ordering: .relaxed)
                    still = now == last ? still + 1 : 0
                    last = now
                }
                #expect(last > 0)
                #expect(last < count, "the server answered every request while the client read nothing")
                // Reading resumes the server: every answer arrives whole and in order.
                var received = 0
                var next = 0
                var pending = ByteBuffer()
                for try await chunk in inbound {
                    var chunk = chunk
                    received += chunk.readableBytes
                    pending.writeBuffer(&chunk)
                    while let (index, consumed) = Self.answer(in: pending) {
                        #expect(index == next)
                        next += 1
                        pending.moveReaderIndex(forwardBy: consumed)
                    }
                    if next == count { break }
                }
                #expect(next == count)
                #expect(answered.load(ordering: .relaxed) == count)
            }
        }
    }

    /// The index and length of the first complete `/big` answer in `buffer`, if it is all there.
    static func answer(in buffer: ByteBuffer) -> (index: Int, length: Int)? {
        let view = buffer.readableBytesView
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let headEnd = view.firstRange(of: separator) else { return nil }
        let head = String(decoding: view[view.startIndex..<headEnd.lowerBound], as: UTF8.self)
        guard
            let lengthLine = head.split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-length:") }
            ),
            let length = Int(lengthLine.split(separator: ":")[1].trimmingPrefix(" "))
        else { return nil }
        let bodyStart = headEnd.upperBound
        guard view.endIndex - bodyStart >= length else { return nil }
        let body = view[bodyStart..<(bodyStart + length)]
        guard let bar = body.firstIndex(of: UInt8(ascii: "|")) else { return nil }
        let index = Int(String(decoding: body[bodyStart..<bar], as: UTF8.self)) ?? -1
        return (index, bodyStart + length - view.startIndex)
    }
}
