import HTTPCore
import Logging
import ProstagmaProtocol
import Synchronization

/// JSON5's one rule that the original README's pipeline command needs: an object key may be a bare identifier.
///
/// The README's command is `curl -X POST -d '{"secret": "'$PROSTAGMA_SECRET'", trigger: "NAME"}' ...`, with an
/// unquoted `trigger`. Strict JSON refuses it, and the original answered it with 400, so the documented command
/// never worked. The compatible `POST /trigger` and `GET /trigger` accept it (see ``OriginalTriggerBodyReader``);
/// every other route keeps strict JSON.
enum BareKeyQuoting {
    /// `bytes` with every bare identifier key (`[A-Za-z_$][A-Za-z0-9_$]*` where an object key goes) quoted, or nil
    /// when there is none, or when the text is not JSON plus bare keys (the strict error then stands).
    static func quoted(_ bytes: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16)
        var containers: [UInt8] = []  // `{` or `[`, innermost last
        var expectingKey = false
        var changed = false
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                // Copy the whole string, escapes included, so nothing inside it is taken for structure.
                let start = index
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                guard index < bytes.count else { return nil }
                out.append(contentsOf: bytes[start...index])
                index += 1
                expectingKey = false
                continue
            case UInt8(ascii: "{"):
                containers.append(byte)
                expectingKey = true
            case UInt8(ascii: "["):
                containers.append(byte)
                expectingKey = false
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard containers.popLast() != nil else { return nil }
                expectingKey = false
            case UInt8(ascii: ","):
                expectingKey = containers.last == UInt8(ascii: "{")
            case 0x20, 0x09, 0x0A, 0x0D:
                break
            default:
                if expectingKey, isIdentifierStart(byte) {
                    var end = index + 1
                    while end < bytes.count, isIdentifierPart(bytes[end]) { end += 1 }
                    out.append(UInt8(ascii: "\""))
                    out.append(contentsOf: bytes[index..<end])
                    out.append(UInt8(ascii: "\""))
                    index = end
                    expectingKey = false
                    changed = true
                    continue
                }
                expectingKey = false
            }
            out.append(byte)
            index += 1
        }
        return changed ? out : nil
    }

    private static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x24
    }

    private static func isIdentifierPart(_ byte: UInt8) -> Bool {
        isIdentifierStart(byte) || (byte >= 0x30 && byte <= 0x39)
    }
}

/// Reads the body of the compatible `POST /trigger` and `GET /trigger`: strict JSON, or JSON with bare identifier
/// keys (``BareKeyQuoting``), which is accepted with a warning logged once per client address.
final class OriginalTriggerBodyReader: Sendable {
    private let decoder: BodyDecoder
    /// Client addresses already warned; bounded, so a scan from many addresses cannot grow it without end.
    private let warned = Mutex<Set<String>>([])
    private static let maxWarned = 4096

    init(decoder: BodyDecoder) {
        self.decoder = decoder
    }

    /// The request body; a body that is not JSON even with its bare keys quoted gets the strict decoder's error,
    /// which says where.
    func read(_ request: HTTPRequest, context: RequestContext) throws(ServerError) -> OriginalAPI.TriggerRequest {
        // The shape agents send, read without Foundation or a copy; anything else is the decoder's to judge.
        if let plain = OriginalTriggerJSON.parse(request.body.buffer, maximumBytes: decoder.maximumBytes) {
            return plain
        }
        return try decode(ServerRoutes.bytes(request), context: context)
    }

    /// A body the shortcut did not take: strict JSON, or with its bare keys quoted (warned once per address).
    private func decode(_ bytes: [UInt8], context: RequestContext) throws(ServerError) -> OriginalAPI.TriggerRequest {
        do {
            return try decoder.decode(OriginalAPI.TriggerRequest.self, from: bytes)
        } catch {
            guard error.status == 400, let quoted = BareKeyQuoting.quoted(bytes),
                let body = try? decoder.decode(OriginalAPI.TriggerRequest.self, from: quoted)
            else { throw error }
            warnOnce(context)
            return body
        }
    }

    private func warnOnce(_ context: RequestContext) {
        let address = context.remoteIP ?? "unknown"
        let first = warned.withLock { warned in
            guard !warned.contains(address) else { return false }
            if warned.count >= Self.maxWarned { warned.removeAll() }
            warned.insert(address)
            return true
        }
        guard first else { return }
        context.logger.warning(
            """
            accepted a body with an unquoted key on the original protocol (as in the original README's curl \
            command); quote every key: strict JSON is what every other route takes
            """,
            metadata: ["remote": "\(address)"])
    }
}
