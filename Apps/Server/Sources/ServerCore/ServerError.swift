import HTTPCore
import ProstagmaProtocol

/// Every failure ServerCore reports: bad configuration, bad requests, store and upstream failures.
///
/// Each error carries the HTTP status it answers with, a short machine-readable `code`
/// (the `error` field of the JSON error body) and a `detail` that says what was wrong and where.
public struct ServerError: HTTPResponseError, Sendable, CustomStringConvertible, Equatable {
    /// HTTP status the error answers with (configuration errors use 500; they never reach a client).
    public var status: Int
    /// Short machine-readable code, e.g. `malformed_json`, `forbidden`, `invalid_trigger`.
    public var code: String
    /// What was wrong and where, for a human.
    public var detail: String

    /// Creates an error with an explicit status, code and detail; credentials in URLs (`http://user:pw@host/`)
    /// are elided from `detail`, which goes to the client and, for 5xx, to the log.
    public init(status: Int, code: String, detail: String) {
        self.status = status
        self.code = code
        self.detail = Redaction.elidingUserinfo(in: detail)
    }

    public var description: String { "\(code): \(detail)" }

    /// Invalid configuration (flags, environment, files) found at start-up.
    public static func configuration(_ detail: String) -> ServerError {
        ServerError(status: 500, code: "configuration", detail: detail)
    }
    /// 400: the body is not valid JSON, or lacks a field.
    public static func malformedJSON(_ detail: String) -> ServerError {
        ServerError(status: 400, code: "malformed_json", detail: detail)
    }
    /// 400: a query parameter or header has a wrong value.
    public static func badRequest(_ detail: String) -> ServerError {
        ServerError(status: 400, code: "bad_request", detail: detail)
    }
    /// 401: no credentials were given.
    public static func unauthorized(_ detail: String) -> ServerError {
        ServerError(status: 401, code: "unauthorized", detail: detail)
    }
    /// 403: credentials were given and are wrong.
    public static func forbidden(_ detail: String) -> ServerError {
        ServerError(status: 403, code: "forbidden", detail: detail)
    }
    /// 404: nothing here.
    public static func notFound(_ detail: String) -> ServerError {
        ServerError(status: 404, code: "not_found", detail: detail)
    }
    /// 409: the request conflicts with the state (e.g. no release to roll back to).
    public static func conflict(_ detail: String) -> ServerError {
        ServerError(status: 409, code: "conflict", detail: detail)
    }
    /// 413: the body exceeds the limit.
    public static func tooLarge(_ detail: String) -> ServerError {
        ServerError(status: 413, code: "body_too_large", detail: detail)
    }
    /// 422: a trigger name that does not match `[A-Za-z0-9._-]{1,128}`.
    public static func invalidTrigger(_ detail: String) -> ServerError {
        ServerError(status: 422, code: "invalid_trigger", detail: detail)
    }
    /// 422: a URL that is not http/https/s3, or not on the allow-list.
    public static func invalidURL(_ detail: String) -> ServerError {
        ServerError(status: 422, code: "invalid_url", detail: detail)
    }
    /// 422: a well-formed body whose values are not acceptable.
    public static func unprocessable(_ detail: String) -> ServerError {
        ServerError(status: 422, code: "invalid_request", detail: detail)
    }
    /// 502: the upstream fetch failed; `detail` says why (status, connection error).
    public static func upstream(_ detail: String) -> ServerError {
        ServerError(status: 502, code: "upstream_failed", detail: detail)
    }
    /// 504: the upstream did not answer in time.
    public static func upstreamTimeout(_ detail: String) -> ServerError {
        ServerError(status: 504, code: "upstream_timeout", detail: detail)
    }
    /// 503: the store could not commit (disk full, I/O error); the request may be retried.
    public static func unavailable(_ detail: String) -> ServerError {
        ServerError(status: 503, code: "unavailable", detail: detail)
    }

    /// 422: a value that breaks the wire contract, with the contract's message.
    public init(_ error: ProtocolError) {
        switch error.kind {
        case .invalidTriggerName: self = .invalidTrigger(error.message)
        default: self = .unprocessable(error.message)
        }
    }

    /// The JSON error body of docs/api.md with this error's status; a 401 challenges for a bearer token.
    public var response: HTTPResponse {
        var headers: HTTPHeaders = [:]
        if status == 401 { headers.add(name: "www-authenticate", value: "Bearer realm=\"prostagma\"") }
        return HTTPError(HTTPResponseStatus(statusCode: status), error: code, detail: detail, headers: headers).response
    }
}
