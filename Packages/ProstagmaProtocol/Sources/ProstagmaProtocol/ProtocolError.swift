/// A value that breaks the wire contract: a bad trigger name, a run report with an impossible field.
///
/// The message says which field was wrong and why, in words an operator can act on; the server answers it as
/// 422 and the agent as a configuration or script error.
public struct ProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which rule was broken.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private let code: String
        private init(_ code: String) { self.code = code }

        /// A trigger name outside the name rule.
        public static let invalidTriggerName = Kind("invalid_trigger")
        /// A field of a body outside its rule.
        public static let invalidField = Kind("invalid_field")

        /// The short code, as the server's JSON errors carry it.
        public var description: String { code }
    }

    /// Which rule was broken.
    public var kind: Kind
    /// What was wrong and where.
    public var message: String

    /// Makes an error.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
