/// The bytes of one S3 object, streamed from `aws s3 cp s3://bucket/key -` in chunks.
///
/// The CLI starts when iteration starts. Iteration ends normally only when the CLI exited with status 0,
/// so a stream that ends without throwing delivered the whole object; any failure (including one after
/// some bytes) throws ``S3FetchError`` at the end. Stopping early, dropping the iterator or cancelling the
/// task kills the CLI and its children. Iterate once: each iterator runs the CLI again.
public struct S3ObjectStream: AsyncSequence, Sendable {
    /// A chunk of the object (at most the fetcher's chunk size).
    public typealias Element = [UInt8]

    /// The object being fetched.
    public let url: S3URL
    let fetcher: S3Fetcher

    /// Starts nothing yet; the CLI runs on the first ``AsyncIterator/next()``.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(url: url, fetcher: fetcher)
    }

    /// Reads the object's chunks; throws ``S3FetchError`` (or `CancellationError`).
    public struct AsyncIterator: AsyncIteratorProtocol {
        let url: S3URL
        let fetcher: S3Fetcher
        private var run: RunHandle?
        private var finished = false

        init(url: S3URL, fetcher: S3Fetcher) {
            self.url = url
            self.fetcher = fetcher
        }

        /// The next chunk, `nil` after the last one of a successful fetch.
        public mutating func next() async throws -> [UInt8]? {
            if finished { return nil }
            if run == nil {
                do {
                    run = RunHandle(
                        channel: try fetcher.start(arguments: ["s3", "cp", url.description, "-"], for: url))
                } catch {
                    finished = true
                    throw error
                }
            }
            switch await run!.channel.next() {
            case .chunk(let bytes):
                return bytes
            case .end(let outcome):
                finished = true
                if outcome.succeeded { return nil }
                if outcome.cancelled { throw CancellationError() }
                if let launchError = outcome.launchError { throw launchError }
                throw await fetcher.error(for: outcome, url: url)
            }
        }

        /// The most bytes that waited for this consumer at once (tests check the back-pressure bound).
        var peakQueuedBytes: Int { run?.channel.peakQueuedBytes ?? 0 }
    }
}

/// Kills the CLI when the iterator holding it goes away before the end.
final class RunHandle: Sendable {
    let channel: ChunkChannel

    init(channel: ChunkChannel) {
        self.channel = channel
    }

    deinit {
        channel.close()
    }
}
