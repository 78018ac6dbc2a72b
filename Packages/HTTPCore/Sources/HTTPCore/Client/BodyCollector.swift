import NIOCore
import NIOHTTP1

/// Collects a response body in memory, up to `limit` bytes (after decoding); more is `ClientFailure.bodyTooLarge`.
///
/// Touched on its connection's event loop only (`ClientChannelHandler` calls it there).
final class BodyCollector: ResponseConsumer, @unchecked Sendable {
    private let limit: Int
    /// False for HEAD: its `Content-Length` describes a body that is not sent.
    private let checksLength: Bool
    private var status = 0
    private var collected: ByteBuffer?

    init(limit: Int, checksLength: Bool) {
        self.limit = limit
        self.checksLength = checksLength
    }

    func head(_ head: HTTPResponseHead) throws {
        status = Int(head.status.code)
        // A declared length over the limit fails before any of the body is read (unless it is compressed: the
        // limit applies to the decoded bytes).
        if checksLength, !head.headers.contains(name: "content-encoding"),
            let length = head.headers.first(name: "content-length").flatMap({ Int($0) }), length > limit
        {
            throw ClientFailure.bodyTooLarge(limit: limit, status: status)
        }
    }

    func body(_ bytes: ByteBuffer) throws -> EventLoopFuture<Void>? {
        let size = (collected?.readableBytes ?? 0) + bytes.readableBytes
        guard size <= limit else { throw ClientFailure.bodyTooLarge(limit: limit, status: status) }
        if collected == nil {
            collected = bytes
        } else {
            collected!.writeImmutableBuffer(bytes)
        }
        return nil
    }

    func end() throws -> ByteBuffer? { collected }
}
