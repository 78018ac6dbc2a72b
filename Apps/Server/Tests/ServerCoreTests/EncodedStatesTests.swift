import Foundation
import HTTPCore
import NIOCore
import ProstagmaProtocol
import Testing

@testable import ServerCore

/// The long-poll answer encoded once per state (issue 17's fan-out): the bytes shared must be the bytes a fresh
/// encoding gives, for the state asked about, never a stale one.
@Suite(.timeLimit(.minutes(1))) struct EncodedStatesTests {
    static func release(_ count: Int64, version: String) -> Release {
        Release(
            trigger: "web", count: count, params: ["version": version], source: .api,
            createdAt: Date(timeIntervalSince1970: 1_764_000_000))
    }

    static func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }

    @Test func theSharedBytesAreThoseOfAFreshEncoding() throws {
        let cache = EncodedStates()
        let state = TriggerState(trigger: "web", count: 7, epoch: "e1", release: Self.release(7, version: "1.0"))
        let first = try cache.body(of: state)
        let second = try cache.body(of: state)
        #expect(Self.bytes(first) == Self.bytes(try JSONCoding.encode(state)))
        #expect(Self.bytes(second) == Self.bytes(first))
    }

    @Test(arguments: [
        TriggerState(trigger: "web", count: 8, epoch: "e1", release: release(8, version: "1.0")),
        TriggerState(trigger: "web", count: 7, epoch: "e2", release: release(7, version: "1.0")),
        TriggerState(trigger: "web", count: 7, epoch: "e1", release: release(7, version: "2.0")),
        TriggerState(trigger: "web", count: 7, epoch: "e1"),
    ])
    func aStateThatDiffersInAnythingIsEncodedAnew(other: TriggerState) throws {
        let cache = EncodedStates()
        let kept = TriggerState(trigger: "web", count: 7, epoch: "e1", release: Self.release(7, version: "1.0"))
        _ = try cache.body(of: kept)
        #expect(Self.bytes(try cache.body(of: other)) == Self.bytes(try JSONCoding.encode(other)))
        #expect(Self.bytes(try cache.body(of: kept)) == Self.bytes(try JSONCoding.encode(kept)))
    }

    @Test func triggersAreKeptApart() throws {
        let cache = EncodedStates()
        let web = TriggerState(trigger: "web", count: 1, epoch: "e1")
        let db = TriggerState(trigger: "db", count: 1, epoch: "e1")
        _ = try cache.body(of: web)
        #expect(Self.bytes(try cache.body(of: db)) == Self.bytes(try JSONCoding.encode(db)))
        #expect(Self.bytes(try cache.body(of: web)) == Self.bytes(try JSONCoding.encode(web)))
    }
}
