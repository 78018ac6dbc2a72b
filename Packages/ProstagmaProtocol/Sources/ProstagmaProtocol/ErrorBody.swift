/// Every error answer's body (openapi.yaml's `Error`): a short code and what was wrong and where.
public struct ErrorBody: Codable, Sendable, Equatable {
    /// A short code, e.g. `malformed_json`.
    public var error: String
    /// What was wrong and where, for a person.
    public var detail: String

    /// Makes a body.
    public init(error: String, detail: String) {
        self.error = error
        self.detail = detail
    }
}
