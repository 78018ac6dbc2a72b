import HTTPCore
import NIOCore
import ProstagmaProtocol
import Testing

@testable import ServerCore

/// The compatible `GET /trigger`'s own JSON reader and writer take only what the full decoder and encoder would
/// read and write the same way; everything else is left to them.
@Suite(.timeLimit(.minutes(1))) struct OriginalTriggerJSONTests {
    static let decoder = BodyDecoder()

    static func parse(_ text: String) -> OriginalAPI.TriggerRequest? {
        OriginalTriggerJSON.parse(ByteBuffer(string: text), maximumBytes: decoder.maximumBytes)
    }

    static func decode(_ text: String) -> OriginalAPI.TriggerRequest? {
        try? decoder.decode(OriginalAPI.TriggerRequest.self, from: Array(text.utf8))
    }

    @Test(arguments: [
        #"{"secret": "s3cret", "trigger": "web"}"#,
        #"{"trigger":"web","secret":"s3cret"}"#,
        " \n\t{ \"secret\" :\"a b!#$%&'()*+,-./:;<=>?@[]^_`{|}~\" , \"trigger\" : \"x.y-z_1\" }\r\n ",
        #"{"secret": "", "trigger": ""}"#,
    ])
    func plainBodiesReadAsTheDecoderReadsThem(_ text: String) throws {
        let plain = try #require(Self.parse(text))
        #expect(plain == Self.decode(text))
        // A received body is read in place: from its reader index, up to its writer index.
        var received = ByteBuffer(string: "{junk" + text)
        received.moveReaderIndex(forwardBy: 5)
        received.writeString("}")
        received.moveWriterIndex(to: received.writerIndex - 1)
        #expect(OriginalTriggerJSON.parse(received, maximumBytes: Self.decoder.maximumBytes) == plain)
    }

    @Test(arguments: [
        #"{"secret": "s", "trigger": "w\"eb"}"#,  // an escape
        #"{"secret": "s", "trigger": "w\u0065b"}"#,
        #"{"secret": "s", "trigger": "wéb"}"#,  // not ASCII
        #"{"secret": "s", "trigger": "web", "x": 1}"#,  // another key
        #"{"secret": "s", "secret": "t"}"#,  // a key twice
        #"{"trigger": "web"}"#,  // one key only
        #"{"secret": null, "trigger": "web"}"#,
        #"{"secret": "s", "trigger": 5}"#,
        #"{"secret": "s", trigger: "web"}"#,  // the README's bare key: the reader that warns takes it
        #"{"secret": "s", "trigger": "web"} x"#,  // trailing bytes
        #"{"secret": "s", "trigger": "web"}}"#,
        #"{"secret": "s" "trigger": "web"}"#,
        #"["secret", "trigger"]"#,
        "",
        "{\"secret\": \"s\t\", \"trigger\": \"web\"}",  // a control character inside a string
    ])
    func anythingElseIsLeftToTheFullDecoder(_ text: String) {
        #expect(Self.parse(text) == nil)
    }

    @Test func aBodyOverTheLimitIsLeftToTheDecoderFor413() {
        let text = #"{"secret": "\#(String(repeating: "a", count: 100))", "trigger": "web"}"#
        #expect(OriginalTriggerJSON.parse(ByteBuffer(string: text), maximumBytes: 64) == nil)
        #expect(OriginalTriggerJSON.parse(ByteBuffer(string: text), maximumBytes: text.utf8.count) != nil)
    }

    @Test(arguments: [("web", 0), ("a.b-c_D9", 1), ("x", 9_007_199_254_740_993), ("...x", Int64.max)])
    func theAnswerIsByteForByteWhatTheEncoderWrites(name: String, count: Int64) throws {
        let answer = OriginalAPI.TriggerCount(trigger: name, count: count)
        let written = try #require(OriginalTriggerJSON.encode(answer))
        #expect(written == (try JSONCoding.encode(answer)))
    }

    @Test func aNameThatWouldNeedEscapingIsLeftToTheEncoder() {
        #expect(OriginalTriggerJSON.encode(.init(trigger: #"a"b"#, count: 1)) == nil)
        #expect(OriginalTriggerJSON.encode(.init(trigger: "a\\b", count: 1)) == nil)
        #expect(OriginalTriggerJSON.encode(.init(trigger: "é", count: 1)) == nil)
    }
}
