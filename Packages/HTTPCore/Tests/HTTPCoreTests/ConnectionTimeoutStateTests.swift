import Testing

@testable import HTTPCore

@Suite(.timeLimit(.minutes(3))) struct ConnectionTimeoutStateTests {
    @Test func newConnectionIsGuardedByHeaderReadTimer() {
        let state = ConnectionTimeoutState(maxHeaderBytes: 100)
        #expect(state.timer == .headerRead)
    }

    @Test func timersFollowARequestThroughItsLife() {
        var state = ConnectionTimeoutState(maxHeaderBytes: 100)
        state.bytesReceived(40)
        #expect(state.timer == .headerRead)
        state.headReceived()
        #expect(state.timer == .request)
        state.endReceived()
        #expect(state.timer == .none)  // the handler runs (maybe a long poll): no timer
        state.responseEnded()
        #expect(state.timer == .idle)
        state.bytesReceived(10)
        #expect(state.timer == .headerRead)
    }

    @Test func pipelinedRequestsKeepTimersOffUntilAllAreAnswered() {
        var state = ConnectionTimeoutState(maxHeaderBytes: 100)
        for _ in 0..<3 {
            state.headReceived()
            state.endReceived()
        }
        state.responseEnded()
        state.responseEnded()
        #expect(state.timer == .none)
        state.responseEnded()
        #expect(state.timer == .idle)
    }

    @Test(arguments: [(100, false), (101, true)])
    func headerBytesBeyondTheLimitAreRejected(bytes: Int, rejected: Bool) {
        var state = ConnectionTimeoutState(maxHeaderBytes: 100)
        state.bytesReceived(bytes)
        #expect((state.checkHeaderSize() == .rejectHeaderTooLarge) == rejected)
    }

    @Test func bodyBytesDoNotCountAsHeaderBytes() {
        var state = ConnectionTimeoutState(maxHeaderBytes: 100)
        state.headReceived()
        state.bytesReceived(10_000)
        #expect(state.checkHeaderSize() == .none)
    }
}
