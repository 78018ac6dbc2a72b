import NIOCore
import NIOHTTP1

/// A response: status, headers and a body (bytes, a stream or a file).
public struct HTTPResponse: Sendable {
    /// The status, e.g. `.ok`.
    public var status: HTTPResponseStatus
    /// The headers; `Content-Length` is set by the server from the body when the length is known.
    public var headers: HTTPHeaders
    /// The body.
    public var body: ResponseBody

    /// Creates a response with the given status, headers and body.
    public init(status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:], body: ResponseBody = ResponseBody()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response whose body is the UTF-8 bytes of `text` (`Content-Type: text/plain; charset=utf-8` by default).
    public init(
        status: HTTPResponseStatus = .ok,
        headers: HTTPHeaders = [:],
        text: String,
        contentType: String = "text/plain; charset=utf-8"
    ) {
        self.init(status: status, headers: headers, body: ResponseBody(string: text))
        if !self.headers.contains(name: "content-type") { self.headers.add(name: "content-type", value: contentType) }
    }

    /// A response whose body is `value` encoded as JSON (`Content-Type: application/json`).
    public static func json(
        _ value: some Encodable,
        status: HTTPResponseStatus = .ok,
        headers: HTTPHeaders = [:]
    ) throws -> HTTPResponse {
        json(encoded: try JSONCoding.encode(value), status: status, headers: headers)
    }

    /// A response whose body is JSON already encoded (`Content-Type: application/json`), e.g. bytes shared by many
    /// answers.
    public static func json(encoded body: ByteBuffer, status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:])
        -> HTTPResponse
    {
        var response = HTTPResponse(status: status, headers: headers, body: ResponseBody(buffer: body))
        response.headers.replaceOrAdd(name: "content-type", value: "application/json")
        return response
    }

    /// A long poll's answer: the router waits for `notifier` to publish after `since`, the deadline, the server's
    /// shutdown or the client going away (as ``RequestContext/wait(for:since:until:)``), then answers with what
    /// `answer` makes of the reason. `answer` runs exactly once, whatever ends the wait (its response is dropped when
    /// the client went away), so what a handler counts before the wait it can uncount in `answer`.
    ///
    /// The wait happens in the router's frame, not the handler's: a connection's task keeps the deepest frames it
    /// ever had, and a handler that returns this holds none of its own while thousands of polls wait. For async
    /// routes only; a synchronous route that answers with it is answered 500 and `answer` never runs.
    public static func afterWait(
        for notifier: Notifier,
        since: Notifier.Generation,
        until deadline: ContinuousClock.Instant,
        then answer: @escaping @Sendable (WakeReason) async throws -> HTTPResponse
    ) -> HTTPResponse {
        HTTPResponse(
            body: ResponseBody(
                storage: .afterWait(
                    PendingAnswer(notifier: notifier, since: since, deadline: deadline, kind: .async(answer)))))
    }

    /// A long poll's answer that a route added with ``Router/immediate(_:_:maxBodyBytes:_:otherwise:)`` can give: the
    /// wait as ``afterWait(for:since:until:then:)`` does, then `immediately` makes the response without suspending,
    /// or returns nil and `otherwise` makes it (on a task).
    ///
    /// Answered on the connection's event loop, such a poll holds no task while it waits: only its request and a
    /// waiter. `immediately` runs exactly once, whatever ends the wait (its response is dropped when the client went
    /// away), on the connection's event loop or its task; it must not block. `otherwise` runs only after it
    /// returned nil.
    public static func afterWait(
        for notifier: Notifier,
        since: Notifier.Generation,
        until deadline: ContinuousClock.Instant,
        immediately: @escaping @Sendable (WakeReason) throws -> HTTPResponse?,
        otherwise: @escaping @Sendable () async throws -> HTTPResponse
    ) -> HTTPResponse {
        HTTPResponse(
            body: ResponseBody(
                storage: .afterWait(
                    PendingAnswer(
                        notifier: notifier, since: since, deadline: deadline,
                        kind: .immediate(now: immediately, later: otherwise)))))
    }

    /// A response that serves the file at `path` (or the byte `range` of it) in chunks read off the event loop.
    ///
    /// The file is opened when the response is written; a missing file then answers 404. With a range the status
    /// is 206 and `Content-Range` is set; a range past the end of the file answers 416.
    public static func file(
        path: String,
        range: Range<Int64>? = nil,
        contentType: String = "application/octet-stream",
        headers: HTTPHeaders = [:]
    ) -> HTTPResponse {
        var response = HTTPResponse(
            status: range == nil ? .ok : .partialContent,
            headers: headers,
            body: .file(path: path, range: range)
        )
        if !response.headers.contains(name: "content-type") {
            response.headers.add(name: "content-type", value: contentType)
        }
        return response
    }

    /// A response that serves the file at `path`, honouring the request's `Range` header (a single range: 206 with
    /// `Content-Range`; past the end: 416; malformed or several ranges: the whole file with 200).
    public static func file(
        path: String,
        request: HTTPRequest,
        contentType: String = "application/octet-stream",
        headers: HTTPHeaders = [:]
    ) -> HTTPResponse {
        var response = HTTPResponse(
            status: .ok,
            headers: headers,
            body: .file(path: path, rangeHeader: request.headers.first(name: "range"))
        )
        if !response.headers.contains(name: "content-type") {
            response.headers.add(name: "content-type", value: contentType)
        }
        return response
    }

    /// A response whose body is produced by `write`, chunk by chunk, with back-pressure.
    ///
    /// Without `length` the body is sent chunked; `write` suspends while the client is not reading.
    public static func stream(
        status: HTTPResponseStatus = .ok,
        headers: HTTPHeaders = [:],
        length: Int? = nil,
        _ write: @escaping @Sendable (ResponseBodyWriter) async throws -> Void
    ) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers, body: .stream(length: length, write))
    }

    /// A response whose body is `length` bytes of the open file `descriptor` from `offset`, sent with `sendfile`
    /// on a plain connection; `owner` keeps the descriptor open until the body is sent (see
    /// ``ResponseBody/region(of:offset:length:keepingAlive:)``).
    public static func region(
        status: HTTPResponseStatus = .ok,
        headers: HTTPHeaders = [:],
        of descriptor: CInt,
        offset: Int64 = 0,
        length: Int64,
        keepingAlive owner: (any Sendable)? = nil
    ) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: headers,
            body: .region(of: descriptor, offset: offset, length: length, keepingAlive: owner))
    }
}
