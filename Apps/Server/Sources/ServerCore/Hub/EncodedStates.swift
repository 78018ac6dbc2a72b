import HTTPCore
import NIOCore
import ProstagmaProtocol
import Synchronization

/// The JSON answer of each trigger's newest state, encoded once.
///
/// An increment wakes every long poll of its trigger, and each of them answers the same state (issue 17's fan-out:
/// 1,000 polls, 1,000 encodings of one value). The first answer encodes it; the others compare their state with
/// the one kept (cheaper than encoding it) and share its bytes. A state that differs in anything (count, epoch,
/// release) is encoded anew and replaces it. One entry per trigger, like the hub's states.
final class EncodedStates: Sendable {
    private let newest = Mutex<[String: (state: TriggerState, body: ByteBuffer)]>([:])

    /// The JSON of `state`, the same bytes `JSONCoding.encode(state)` gives.
    func body(of state: TriggerState) throws -> ByteBuffer {
        if let kept = newest.withLock({ $0[state.trigger] }), kept.state == state { return kept.body }
        let body = try JSONCoding.encode(state)
        newest.withLock { $0[state.trigger] = (state, body) }
        return body
    }
}
