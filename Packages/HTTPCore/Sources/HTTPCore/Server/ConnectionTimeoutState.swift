/// Decides which timer guards a connection, from what was read and written (pure: no clocks, no I/O).
///
/// - A new connection, or one with bytes of a next request but no complete head: the header-read timer.
/// - A request whose head came but whose body is still arriving: the request timer.
/// - Requests being answered (handlers running, long polls waiting): no timer; the handler owns the time.
/// - Nothing in flight and no bytes of a next request: the idle (keep-alive) timer.
struct ConnectionTimeoutState: Sendable {
    /// Which timer should be running.
    enum Timer: Sendable, Equatable {
        case none
        case headerRead
        case request
        case idle
    }

    /// What the handler must do after an event.
    enum Action: Sendable, Equatable {
        case none
        case rejectHeaderTooLarge
    }

    let maxHeaderBytes: Int
    private(set) var inFlight = 0
    private(set) var readingBody = false
    private(set) var headerBytes = 0
    private(set) var answeredAny = false

    init(maxHeaderBytes: Int) {
        self.maxHeaderBytes = maxHeaderBytes
    }

    /// The timer that should run now.
    var timer: Timer {
        if readingBody { return .request }
        if inFlight > 0 { return .none }
        if headerBytes > 0 || !answeredAny { return .headerRead }
        return .idle
    }

    /// Raw bytes came off the socket (before decoding); they belong to a head until the decoder says otherwise.
    mutating func bytesReceived(_ count: Int) {
        if !readingBody { headerBytes += count }
    }

    /// Called after the decoder consumed a read: too many bytes without a complete head is an attack or a bug.
    func checkHeaderSize() -> Action {
        headerBytes > maxHeaderBytes ? .rejectHeaderTooLarge : .none
    }

    /// The decoder produced a request head.
    mutating func headReceived() {
        headerBytes = 0
        inFlight += 1
        readingBody = true
    }

    /// The decoder produced the end of a request.
    mutating func endReceived() {
        readingBody = false
    }

    /// The last part of a response went out.
    mutating func responseEnded() {
        inFlight = max(0, inFlight - 1)
        answeredAny = true
    }
}
