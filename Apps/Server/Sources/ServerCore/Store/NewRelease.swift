import ProstagmaProtocol

/// What an increment records about the release it makes, before the store gives it its count and time.
///
/// Not a wire type: the store's input. The stored and answered form is ProstagmaProtocol's `Release`. The route
/// validates params and note (`ReleaseRules`) before it builds one.
public struct NewRelease: Sendable, Equatable {
    /// The release's parameters; empty when none.
    public var params: [String: String]
    /// A free-text note.
    public var note: String?
    /// Who asked: the API, a forge's webhook, the original protocol.
    public var source: ReleaseSource
    /// The credential that asked (`secret` for the shared secret), when known.
    public var requestedBy: String?
    /// What a forge's push webhook said.
    public var forge: ForgePush?

    /// Makes a release request.
    public init(
        params: [String: String] = [:], note: String? = nil, source: ReleaseSource, requestedBy: String? = nil,
        forge: ForgePush? = nil
    ) {
        self.params = params
        self.note = note
        self.source = source
        self.requestedBy = requestedBy
        self.forge = forge
    }
}
