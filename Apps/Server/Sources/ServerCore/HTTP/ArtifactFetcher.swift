import ArtifactCache
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
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
    let validator: Validator
    let addressPolicy: AddressPolicy
    /// Redirects followed per fetch; each hop is checked like the first URL.
    static let maximumRedirects = 5
    /// How long a connection (TCP and TLS) may take; a slow body is bounded by the fetch timeout instead.
    static let connectTimeout: Duration = .seconds(10)

    init(
        cache: ArtifactCache, awsPath: String?, timeout: Duration, metrics: ServerMetrics, logger: Logger,
        validator: Validator = Validator(), addressPolicy: AddressPolicy = .default
    ) {
        self.cache = cache
        self.awsPath = awsPath
        self.timeout = timeout
        self.metrics = metrics
        self.logger = logger
        self.validator = validator
        self.addressPolicy = addressPolicy
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

    /// Fetches `url`, following redirects by hand: every hop is checked against the allow-list, its host resolved
    /// once, the address checked against the denied networks, and the connection made to exactly that address.
    private func fetchHTTP(_ url: String) async throws -> UpstreamResponse<HTTPUpstreamBody> {
        let start = ContinuousClock.now
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        var current = url
        for hop in 0...Self.maximumRedirects {
            // The first URL was checked by the route; a redirect target gets the same checks.
            if hop > 0 {
                do {
                    _ = try validator.checkURL(current)
                } catch {
                    throw ServerError.invalidURL("\(url) redirected to a URL that is refused: \(error.detail)")
                }
            }
            guard let parsed = URL(string: current), let host = parsed.host, !host.isEmpty,
                let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https"
            else {
                throw ServerError.upstream("\(url) redirected to '\(current)', which is not an http(s) URL")
            }
            let port = parsed.port ?? (scheme == "https" ? 443 : 80)
            let address = try await resolve(host: host, port: port, url: current)
            let client = PinnedClient(host: host, address: address, connectTimeout: min(Self.connectTimeout, timeout))
            var request = HTTPClientRequest(url: current)
            request.headers.add(name: "user-agent", value: "prostagma-server/\(prostagmaVersion)")
            let response: HTTPClientResponse
            do {
                response = try await client.client.execute(request, deadline: deadline, logger: logger)
            } catch {
                throw Self.connectFailure(error, url: current, host: host, address: address)
            }
            if [301, 302, 303, 307, 308].contains(response.status.code),
                let location = response.headers.first(name: "location")
            {
                _ = try? await response.body.collect(upTo: 64 * 1024)
                guard let next = URL(string: location, relativeTo: parsed)?.absoluteURL.standardized.absoluteString
                else {
                    throw ServerError.upstream("\(current) redirected to '\(location)', which is not a URL")
                }
                current = next
                continue
            }
            guard (200..<300).contains(response.status.code) else {
                throw ServerError.upstream(
                    "upstream answered \(response.status.code) \(response.status.reasonPhrase) for \(current); "
                        + "nothing was cached")
            }
            let expected = response.headers.first(name: "content-length").flatMap(Int64.init)
            let histogram = metrics.fetchDuration.labels("http")
            return UpstreamResponse(
                etag: response.headers.first(name: "etag"),
                lastModified: response.headers.first(name: "last-modified"),
                expectedSize: expected,
                body: HTTPUpstreamBody(base: response.body, start: start, histogram: histogram, client: client))
        }
        throw ServerError.upstream("\(url) redirected more than \(Self.maximumRedirects) times; nothing was cached")
    }

    /// Resolves `host` once (off the cooperative pool) and checks the address against the denied networks.
    private func resolve(host: String, port: Int, url: String) async throws -> SocketAddress {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let address: SocketAddress
        do {
            address = try await NIOThreadPool.singleton.runIfActive {
                try SocketAddress.makeAddressResolvingHost(bare, port: port)
            }
        } catch {
            throw ServerError.upstream("fetching \(url) failed: no such host '\(bare)'; nothing was cached")
        }
        if let network = addressPolicy.refusal(for: address) {
            throw ServerError.invalidURL(
                "\(url): '\(bare)' is \(address.ipAddress ?? "?"), in \(network), which PROSTAGMA_DENIED_NETWORKS "
                    + "refuses (now: \(addressPolicy)); see \"Securing a server\" in docs/operations.md")
        }
        return address
    }

    /// Says why a connection to `address` failed: refused, TLS handshake, timeout, or what the client said.
    static func connectFailure(_ error: any Error, url: String, host: String, address: SocketAddress)
        -> ServerError
    {
        let text = String(describing: error)
        let at = "\(address.ipAddress ?? host):\(address.port ?? 0)"
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout:
                return .upstreamTimeout("upstream did not answer in time for \(url) (\(error)); nothing was cached")
            case .connectTimeout:
                return .upstreamTimeout(
                    "fetching \(url) failed: connecting to \(at) timed out; nothing was cached")
            case .tlsHandshakeTimeout:
                return .upstream("fetching \(url) failed: TLS handshake with \(at) timed out; nothing was cached")
            default: break
            }
        }
        // NIOSSL's errors (handshakeFailed, BoringSSL's WRONG_VERSION_NUMBER...) all name SSL or handshake.
        if text.contains("SSL") || text.contains("TLS") || text.lowercased().contains("handshake") {
            return .upstream("fetching \(url) failed: TLS handshake with \(at) failed (\(text)); nothing was cached")
        }
        if text.contains("refused") || text.contains("ECONNREFUSED") || text.contains("errno: 111") {
            return .upstream("fetching \(url) failed: connection refused by \(at); nothing was cached")
        }
        return map(error, url: url)
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

/// A client for one hop of one fetch, connecting to the address that was checked (TLS still verifies `host`);
/// shut down when the fetch's body is released.
final class PinnedClient: Sendable {
    let client: HTTPClient

    init(host: String, address: SocketAddress, connectTimeout: Duration) {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: TimeAmount(connectTimeout)),
            decompression: .disabled)
        // Fail at once with the cause (refused, TLS handshake) instead of retrying until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        if let ip = address.ipAddress { configuration.dnsOverride = [host: ip] }
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    deinit {
        let client = self.client
        Task { try? await client.shutdown() }
    }
}

/// An upstream HTTP body as byte views, observing the fetch duration when read to the end.
struct HTTPUpstreamBody: AsyncSequence, Sendable {
    typealias Element = ByteBufferView
    let base: HTTPClientResponse.Body
    let start: ContinuousClock.Instant
    let histogram: PrometheusMetrics.Histogram
    /// Kept alive as long as the body is read.
    let client: PinnedClient

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: HTTPClientResponse.Body.AsyncIterator
        let start: ContinuousClock.Instant
        let histogram: PrometheusMetrics.Histogram
        let client: PinnedClient

        mutating func next() async throws -> ByteBufferView? {
            guard let buffer = try await base.next() else {
                histogram.observe(ContinuousClock.now - start)
                return nil
            }
            return buffer.readableBytesView
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), start: start, histogram: histogram, client: client)
    }
}
