/// Keeps the first `limit / 4` and the last `limit * 3 / 4` bytes of a stream: the CLI's error is usually
/// the last line, but the first lines say what it was doing.
struct BoundedTail: Sendable {
    let limit: Int
    private(set) var head: [UInt8] = []
    private(set) var tail: [UInt8] = []
    private(set) var dropped = 0

    init(limit: Int) {
        self.limit = max(limit, 4)
    }

    mutating func append(_ bytes: some Collection<UInt8>) {
        let headLimit = limit / 4
        var rest = bytes[...]
        if head.count < headLimit {
            let take = min(headLimit - head.count, rest.count)
            head.append(contentsOf: rest.prefix(take))
            rest = rest.dropFirst(take)
        }
        tail.append(contentsOf: rest)
        let tailLimit = limit - headLimit
        if tail.count > tailLimit {
            let excess = tail.count - tailLimit
            tail.removeFirst(excess)
            dropped += excess
        }
    }

    /// The kept text; a marker shows where bytes were dropped.
    var text: String {
        let marker = dropped > 0 ? Array("\n[... \(dropped) bytes ...]\n".utf8) : []
        return String(decoding: head + marker + tail, as: UTF8.self)
    }
}
