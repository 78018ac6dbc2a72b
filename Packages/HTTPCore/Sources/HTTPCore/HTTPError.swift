import NIOCore
import NIOHTTP1

/// An error a handler throws to answer with a given status and a JSON body `{"error": ..., "detail": ...}`.
///
/// Any other error thrown by a handler becomes a 500 with a generic body; the real error is logged.
public struct HTTPError: HTTPResponseError, Sendable, CustomStringConvertible {
    /// The status to answer with.
    public var status: HTTPResponseStatus
    /// A short code or title, e.g. `"not_found"`; defaults to the status's reason phrase.
    public var error: String
    /// A human message saying what was wrong and where.
    public var detail: String?
    /// Extra headers for the response (e.g. `WWW-Authenticate`, `Allow`, `Retry-After`).
    public var headers: HTTPHeaders

    /// Creates an error that renders as `status` with the given code and detail.
    public init(_ status: HTTPResponseStatus, error: String? = nil, detail: String? = nil, headers: HTTPHeaders = [:]) {
        self.status = status
        self.error = error ?? status.reasonPhrase
        self.detail = detail
        self.headers = headers
    }

    /// `"HTTP 404 not_found: no route for /x"`.
    public var description: String {
        var text = "HTTP \(status.code) \(error)"
        if let detail { text += ": \(detail)" }
        return text
    }

    /// The response this error renders as: the status, its headers and the JSON body.
    public var response: HTTPResponse {
        struct Body: Encodable {
            let error: String
            let detail: String?
        }
        var response =
            (try? HTTPResponse.json(Body(error: error, detail: detail), status: status))
            ?? HTTPResponse(status: status)
        for (name, value) in headers { response.headers.replaceOrAdd(name: name, value: value) }
        return response
    }
}
