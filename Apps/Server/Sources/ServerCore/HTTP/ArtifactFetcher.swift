import ArtifactCache
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PrometheusMetrics
import S3Fetch

/// Fetches artifacts from upstream (HTTP(S) through AsyncHTTPClient, `s3://` through the aws CLI) into the
/// cache, one fetch per URL however many requests ask at once. An upstream answer other than 2xx is a 502
/// naming the status and is never cached; an upstream that does not answer in time is a 504.
public final class ArtifactFetcher: Sendable {
    /// The cache artifacts are stored in.
    public let cache: ArtifactCache
    let awsPath: String?
    let timeout: Duration
    let metrics: ServerMetrics
    let logger: Logger
    let client: HTTPClient

    init(cache: ArtifactCache, awsPath: String?, timeout: Duration, metrics: ServerMetrics, logger: Logger) {
        self.cache = cache
        self.awsPath = awsPath
        self.timeout = timeout
        self.metrics = metrics
        self.logger = logger
        // The process-wide client (follows up to 5 redirects, no decompression: bytes are cached as sent);
        // it needs no shutdown, so components can be dropped at any time. Each fetch carries a deadline.
        self.client = HTTPClient.shared
    }

    /// Waits for fetches still running for callers that went away, so they are cached or cleaned up.
    public func shutdown() async {
        await cache.waitForFetches()
    }

    /// The cached entry for `url`, fetched first when `refresh` or on a miss.
    public func artifact(_ url: String, source: Validator.Source, refresh: Bool) async throws(ServerError)
        -> CachedArtifact
    {
        do {
            switch source {
            case .http:
                return try await cache.entry(for: url, refresh: refresh) { try await self.fetchHTTP(url) }
            case .s3:
                return try await cache.entry(for: url, refresh: refresh) { try await self.fetchS3(url) }
            }
        } catch {
            throw Self.map(error, url: url)
        }
    }

    /// The cached entry for `url` without fetching, or nil.
    public func cached(_ url: String) throws(ServerError) -> CachedArtifact? {
        do {
            return try cache.artifact(for: url)
        } catch {
            throw Self.map(error, url: url)
        }
    }

    private func fetchHTTP(_ url: String) async throws -> UpstreamResponse<HTTPUpstreamBody> {
        let start = ContinuousClock.now
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "user-agent", value: "prostagma-server/\(prostagmaVersion)")
        let seconds = Int64(timeout.components.seconds)
        let response = try await client.execute(request, deadline: .now() + .seconds(seconds), logger: logger)
        guard (200..<300).contains(response.status.code) else {
            throw ServerError.upstream(
                "upstream answered \(response.status.code) \(response.status.reasonPhrase) for \(url); nothing was cached"
            )
        }
        let expected = response.headers.first(name: "content-length").flatMap(Int64.init)
        let histogram = metrics.fetchDuration.labels("http")
        return UpstreamResponse(
            etag: response.headers.first(name: "etag"), lastModified: response.headers.first(name: "last-modified"),
            expectedSize: expected, body: HTTPUpstreamBody(base: response.body, start: start, histogram: histogram))
    }

    private func fetchS3(_ url: String) async throws -> UpstreamResponse<TimedBody<S3ObjectStream>> {
        let fetcher = S3Fetcher(awsPath: awsPath, timeout: timeout)
        let stream = try fetcher.object(url)
        return UpstreamResponse(
            body: TimedBody(base: stream, start: .now, histogram: metrics.fetchDuration.labels("s3")))
    }

    /// Maps fetch and cache failures onto 502/504/503 with a message that says why.
    static func map(_ error: any Error, url: String) -> ServerError {
        if let error = error as? ServerError { return error }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout:
                return .upstreamTimeout("upstream did not answer in time for \(url) (\(error)); nothing was cached")
            default:
                return .upstream("fetching \(url) failed: \(error); nothing was cached")
            }
        }
        if let error = error as? ArtifactCacheError {
            switch error.kind {
            case .sizeMismatch:
                return .upstream("\(error.message); nothing was cached")
            default:
                return .unavailable("the artifact cache failed: \(error.message)")
            }
        }
        if let error = error as? S3FetchError {
            switch error.kind {
            case .timeout: return .upstreamTimeout("\(error); nothing was cached")
            case .invalidURL: return .invalidURL(error.description)
            default: return .upstream("\(error); nothing was cached")
            }
        }
        if error is CancellationError { return .unavailable("the request was cancelled") }
        return .upstream("fetching \(url) failed: \(error); nothing was cached")
    }
}

/// Wraps an upstream body to observe the fetch duration when it has been read to the end.
struct TimedBody<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable
where Base.Element: Sequence, Base.Element.Element == UInt8 {
    typealias Element = Base.Element
    let base: Base
    let start: ContinuousClock.Instant
    let histogram: PrometheusMetrics.Histogram

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let start: ContinuousClock.Instant
        let histogram: PrometheusMetrics.Histogram

        mutating func next() async throws -> Base.Element? {
            let chunk = try await base.next()
            if chunk == nil { histogram.observe(ContinuousClock.now - start) }
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), start: start, histogram: histogram)
    }
}

/// An upstream HTTP body as byte views, observing the fetch duration when read to the end.
struct HTTPUpstreamBody: AsyncSequence, Sendable {
    typealias Element = ByteBufferView
    let base: HTTPClientResponse.Body
    let start: ContinuousClock.Instant
    let histogram: PrometheusMetrics.Histogram

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: HTTPClientResponse.Body.AsyncIterator
        let start: ContinuousClock.Instant
        let histogram: PrometheusMetrics.Histogram

        mutating func next() async throws -> ByteBufferView? {
            guard let buffer = try await base.next() else {
                histogram.observe(ContinuousClock.now - start)
                return nil
            }
            return buffer.readableBytesView
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), start: start, histogram: histogram)
    }
}
