/// What a fetch from the upstream returns: its validators and its body as an async sequence of byte chunks.
///
/// `Body` is read once, chunk by chunk, and never held whole in memory. Any `AsyncSequence` whose elements are
/// sequences of bytes works: `[UInt8]`, `ArraySlice<UInt8>`, `Data`, or NIO's `ByteBufferView`.
public struct UpstreamResponse<Body: AsyncSequence> where Body.Element: Sequence, Body.Element.Element == UInt8 {
    /// The upstream's `ETag`, if any.
    public var etag: String?
    /// The upstream's `Last-Modified`, if any.
    public var lastModified: String?
    /// The announced length (`Content-Length`); when set, a body of another length is rejected and not cached.
    public var expectedSize: Int64?
    /// The bytes.
    public var body: Body

    /// Creates a response description.
    public init(etag: String? = nil, lastModified: String? = nil, expectedSize: Int64? = nil, body: Body) {
        self.etag = etag
        self.lastModified = lastModified
        self.expectedSize = expectedSize
        self.body = body
    }
}
