import HTTPCore
import NIOCore
import ProstagmaProtocol

/// The compatible `GET /trigger`'s body and answer without Foundation's JSON coders, for the one shape the original's
/// agents send. Foundation's decoder and encoder were about a fifth of that route's CPU time.
///
/// Both are shortcuts, never a second opinion: a body this reader does not take as it is, or a name it could not
/// write as it is, goes through ``BodyDecoder`` and `JSONEncoder`, which decide (and word the errors) as before.
enum OriginalTriggerJSON {
    /// `{"secret": "...", "trigger": "..."}`, the two keys once each in either order, with JSON whitespace anywhere
    /// it may go, and string values of printable ASCII without `"` or `\` (so no escape to decode); nil for any
    /// other body, which the full decoder then reads or refuses. Holds the body to `maximumBytes` as that decoder
    /// does (a longer one is left to it, for its 413). Read where it was received, without a copy.
    static func parse(_ body: ByteBuffer?, maximumBytes: Int) -> OriginalAPI.TriggerRequest? {
        // No body is not the shape agents send.
        guard let body else { return nil }
        return body.withUnsafeReadableBytes { parse($0.bindMemory(to: UInt8.self), maximumBytes: maximumBytes) }
    }

    private static func parse(_ buffer: UnsafeBufferPointer<UInt8>, maximumBytes: Int) -> OriginalAPI.TriggerRequest? {
        guard buffer.count <= maximumBytes else { return nil }
        var reader = Reader(bytes: buffer)
        var secret: String?
        var trigger: String?
        guard reader.take(UInt8(ascii: "{")) else { return nil }
        for index in 0..<2 {
            if index == 1, !reader.take(UInt8(ascii: ",")) { return nil }
            guard let key = reader.plainString(), reader.take(UInt8(ascii: ":")),
                let value = reader.plainString()
            else { return nil }
            if key.elementsEqual("secret".utf8), secret == nil {
                secret = String(decoding: value, as: UTF8.self)
            } else if key.elementsEqual("trigger".utf8), trigger == nil {
                trigger = String(decoding: value, as: UTF8.self)
            } else {
                return nil
            }
        }
        guard reader.take(UInt8(ascii: "}")), reader.atEnd, let trigger else { return nil }
        return OriginalAPI.TriggerRequest(secret: secret, trigger: trigger)
    }

    /// `{"count":N,"trigger":"NAME"}`, byte for byte what HTTPCore's `JSONEncoder` (sorted keys) writes, when `NAME`
    /// needs no escaping (every valid trigger name); nil otherwise.
    static func encode(_ answer: OriginalAPI.TriggerCount) -> ByteBuffer? {
        let name = answer.trigger.utf8
        guard name.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") })
        else { return nil }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(32 + name.count)
        buffer.writeStaticString(#"{"count":"#)
        buffer.writeString(String(answer.count))
        buffer.writeStaticString(#","trigger":""#)
        buffer.writeString(answer.trigger)
        buffer.writeStaticString(#""}"#)
        return buffer
    }

    /// A cursor over the body that skips JSON whitespace before each token.
    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        var atEnd: Bool {
            mutating get {
                skipWhitespace()
                return index == bytes.count
            }
        }

        mutating func skipWhitespace() {
            while index < bytes.count,
                bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D
                    || bytes[index] == 0x09
            {
                index += 1
            }
        }

        /// Consumes `byte` (after whitespace) if it is next.
        mutating func take(_ byte: UInt8) -> Bool {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// A string of printable ASCII without `"` or `\` (after whitespace), without its quotes.
        mutating func plainString() -> UnsafeBufferPointer<UInt8>.SubSequence? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    return bytes[start..<index - 1]
                }
                guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") else { return nil }
                index += 1
            }
            return nil
        }
    }
}
