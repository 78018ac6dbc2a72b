/// How a route receives its request body.
public enum BodyPolicy: Sendable, Hashable {
    /// Collect the whole body before the handler runs, up to `maxBytes` (more answers 413).
    case collect(maxBytes: Int)
    /// Give the handler a stream read from the connection with back-pressure.
    case stream

    /// Collect up to 64 KiB, the default.
    public static let collect = BodyPolicy.collect(maxBytes: RequestBody.defaultLimit)
}
