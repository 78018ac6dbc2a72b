import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Talks to the Prostagma server: the v1 API when it has one, the original API when `/v1/...` answers 404.
///
/// The protocol is probed with the first request and again after every connection failure (a server
/// upgraded while the agent waited is noticed on reconnect).
public final class ServerClient: TriggerSource, RunReporting, ArtifactFetching, Sendable {
    /// The server's base URL.
    public let server: String
    let secret: String
    let agentName: String
    let host: String
    let pollInterval: Duration
    let transport: any HTTPTransport
    /// How long a long poll asks the server to wait (at most 60 s by the API).
    public let longPollWait: Int
    private let detected = Mutex<ServerProtocol?>(nil)

    /// A client for `server` authenticating with `secret`.
    public init(
        server: String, secret: String, agentName: String, host: String, pollInterval: Duration,
        transport: any HTTPTransport, longPollWait: Int = 30
    ) {
        self.server = server
        self.secret = secret
        self.agentName = agentName
        self.host = host
        self.pollInterval = pollInterval
        self.transport = transport
        self.longPollWait = longPollWait
    }

    /// The protocol detected so far (nil before the first answer or after a connection failure).
    public var serverProtocol: ServerProtocol? { detected.withLock { $0 } }

    var v1Headers: [(String, String)] {
        [
            ("Authorization", "Bearer \(secret)"), (HeaderName.agent, agentName), (HeaderName.host, host),
            ("Accept", "application/json"),
        ]
    }

    // MARK: - Watching

    /// See `TriggerSource.poll`.
    public func poll(trigger: String, known: Observation?) async throws -> PollResult {
        do {
            if serverProtocol != .original {
                if let answer = try await longPoll(trigger: trigger, known: known) {
                    detected.withLock { $0 = .v1 }
                    return answer
                }
                detected.withLock { $0 = .original }
            }
            let observation = try await originalPoll(trigger: trigger)
            return PollResult(observation: observation, serverProtocol: .original)
        } catch {
            detected.withLock { $0 = nil }
            throw error
        }
    }

    /// The v1 long poll; nil when the server answers 404 (no v1 API). The answer's release is kept only when it is
    /// the release of the answer's count (a server without releases sends none).
    func longPoll(trigger: String, known: Observation?) async throws -> PollResult? {
        var query = [("wait", String(longPollWait))]
        if let known {
            query.append(("after", String(known.count)))
            if let epoch = known.epoch { query.append(("epoch", epoch)) }
        }
        let url = server + "/v1/triggers/" + Self.percentEncode(trigger) + "?" + Self.query(query)
        var headers = v1Headers
        headers.append((HeaderName.pollInterval, Self.seconds(pollInterval)))
        let response = try await transport.send(
            method: "GET", url: url, headers: headers, body: nil, timeout: .seconds(longPollWait + 15))
        if response.status == 404 { return nil }
        try check(response, "GET /v1/triggers/\(trigger)", expect: [200])
        let what = "GET /v1/triggers/\(trigger)"
        // A release that does not read fails the count's run, which CI sees, instead of every poll while CI waits.
        let lenient = try decode(TriggerState.Lenient.self, response, what)
        let answer = lenient.state
        let release = answer.release.flatMap { $0.count == answer.count && $0.trigger == trigger ? $0 : nil }
        return PollResult(
            observation: Observation(count: Int(answer.count), epoch: answer.epoch), serverProtocol: .v1,
            release: release,
            releaseProblem: lenient.releaseError.map {
                "\(server): \(what) sent a release for count \(answer.count) that this agent cannot read: \($0)"
            })
    }

    /// The original protocol: `GET /trigger` with a JSON body.
    func originalPoll(trigger: String) async throws -> Observation {
        let body = try JSONEncoder().encode(OriginalAPI.TriggerRequest(secret: secret, trigger: trigger))
        let response = try await transport.send(
            method: "GET", url: server + "/trigger", headers: [("Content-Type", "application/json")],
            body: Array(body), timeout: .seconds(30))
        try check(response, "GET /trigger", expect: [200])
        let answer = try decode(OriginalAPI.TriggerCount.self, response, "GET /trigger")
        return Observation(count: Int(answer.count), epoch: nil)
    }

    // MARK: - Triggering

    /// The outcome of `prostagma-agent trigger`.
    public struct TriggerOutcome: Sendable {
        /// The HTTP status (200; with a wait also 409 or 504).
        public var status: Int
        /// The trigger's new count, when the server said.
        public var count: Int?
        /// The response body as text (JSON), for printing.
        public var body: String
        /// Whether the original API was used (no wait possible).
        public var original: Bool
        /// For a rollback, the release asked for (`3`, `previous`); nil for an increment.
        public var rolledBackTo: RollbackRequest.Target? = nil
    }

    /// Increments `trigger`, making a release with `request`'s params and note; with `wait`, asks the v1 server to
    /// answer once every live agent has reported.
    ///
    /// Against the original server (404 to `/v1/...`) a bare increment goes to `POST /trigger`; one with params or a
    /// note fails instead, as the original has nowhere to keep them.
    public func increment(trigger: String, wait: Int?, request: IncrementRequest = IncrementRequest()) async throws
        -> TriggerOutcome
    {
        let carries = !request.params.isEmpty || request.note != nil
        let what = "POST /v1/triggers/\(trigger)"
        let body: Data? = try carries ? JSONEncoder().encode(request) : nil
        let response = try await post("/v1/triggers/" + Self.percentEncode(trigger), body: body, wait: wait)
        if response.status == 404 {
            // No v1 API: the original server.
            if carries {
                throw AgentError.server(
                    "\(server) has no v1 API (the original server): --param and --note need a Prostagma v1 server with "
                        + "releases; nothing was incremented")
            }
            let body = try JSONEncoder().encode(OriginalAPI.TriggerRequest(secret: secret, trigger: trigger))
            let original = try await transport.send(
                method: "POST", url: server + "/trigger", headers: [("Content-Type", "application/json")],
                body: Array(body), timeout: .seconds(30))
            try check(original, "POST /trigger", expect: [200])
            let count = try? JSONDecoder().decode(OriginalAPI.TriggerCount.self, from: Data(original.body)).count
            return TriggerOutcome(
                status: original.status, count: count.map { Int($0) },
                body: String(decoding: original.body, as: UTF8.self),
                original: true)
        }
        let outcome = try answer(response, what, wait: wait)
        if !request.params.isEmpty, wait == nil,
            let state = try? JSONDecoder().decode(TriggerState.self, from: Data(response.body)), state.release == nil
        {
            throw AgentError.server(
                "\(server): \(what) incremented `\(trigger)` to \(state.count) but recorded no release: the server "
                    + "predates releases and dropped the params (upgrade it)")
        }
        return outcome
    }

    /// Rolls `trigger` back: a new count carrying the params of the release `request` names
    /// (`POST /v1/triggers/{name}/rollback`); `wait` as for ``increment(trigger:wait:request:)``.
    public func rollback(trigger: String, request: RollbackRequest, wait: Int?) async throws -> TriggerOutcome {
        let what = "POST /v1/triggers/\(trigger)/rollback"
        let response = try await post(
            "/v1/triggers/" + Self.percentEncode(trigger) + "/rollback", body: try JSONEncoder().encode(request),
            wait: wait)
        if response.status == 404 && !Self.isErrorBody(response) {
            throw AgentError.server(
                "\(server) answered 404 to \(what): rollback needs a Prostagma v1 server with releases "
                    + "(this one is the original, or predates releases)")
        }
        var outcome = try answer(response, what, wait: wait)
        outcome.rolledBackTo = request.to
        return outcome
    }

    /// A trigger's rollout (`GET /v1/triggers/{name}/rollout`), or with `action` the rollout after
    /// `POST .../rollout/{action}` (pause, resume, promote, abort).
    public func rollout(trigger: String, action: String?) async throws -> Rollout {
        let path = "/v1/triggers/" + Self.percentEncode(trigger) + "/rollout" + (action.map { "/" + $0 } ?? "")
        let what = (action == nil ? "GET " : "POST ") + path
        let response = try await transport.send(
            method: action == nil ? "GET" : "POST", url: server + path, headers: v1Headers, body: nil,
            timeout: .seconds(30))
        if response.status == 404 && !Self.isErrorBody(response) {
            throw AgentError.server(
                "\(server) answered 404 to \(what): rollouts need a Prostagma v1 server with rollouts "
                    + "(this one is the original, or predates them)")
        }
        try check(response, what, expect: [200])
        return try decode(Rollout.self, response, what)
    }

    /// Sends a pipeline's POST with the secret, waiting up to `wait` seconds on the server.
    private func post(_ path: String, body: Data?, wait: Int?) async throws -> TransportResponse {
        var url = server + path
        if let wait { url += "?wait=\(wait)" }
        var headers = v1Headers
        if body != nil { headers.append(("Content-Type", "application/json")) }
        return try await transport.send(
            method: "POST", url: url, headers: headers, body: body.map { Array($0) },
            timeout: .seconds((wait ?? 0) + 30))
    }

    /// A v1 answer as an outcome: 200, and with a wait a 409 or 504 that carries the runs (a run failed, the wait
    /// ran out). Any other status, and a 409 or 504 carrying an error (a rollback with nothing to go back to), is
    /// an error with the server's detail.
    private func answer(_ response: TransportResponse, _ what: String, wait: Int?) throws -> TriggerOutcome {
        let waited: Set<Int> = wait != nil && !Self.isErrorBody(response) ? [200, 409, 504] : [200]
        try check(response, what, expect: waited)
        let count = try? JSONDecoder().decode(TriggerState.self, from: Data(response.body)).count
        return TriggerOutcome(
            status: response.status, count: count.map { Int($0) }, body: String(decoding: response.body, as: UTF8.self),
            original: false)
    }

    /// Whether the body is the v1 API's `{"error", "detail"}` (not the original server's plain 404, nor an outcome).
    static func isErrorBody(_ response: TransportResponse) -> Bool {
        (try? JSONDecoder().decode(ErrorBody.self, from: Data(response.body))) != nil
    }

    // MARK: - Reports

    /// Sends a run report (`POST /v1/runs`).
    public func report(_ report: RunReport) async throws {
        let body = try JSONEncoder().encode(report)
        var headers = v1Headers
        headers.append(("Content-Type", "application/json"))
        let response = try await transport.send(
            method: "POST", url: server + "/v1/runs", headers: headers, body: Array(body), timeout: .seconds(15))
        try check(response, "POST /v1/runs", expect: [200, 201])
    }

    // MARK: - Artifacts

    /// Fetches `url` through the server into a new file at `path`: `GET /v1/artifacts`, or on a server without v1
    /// (the original) its `/cache` endpoints.
    public func fetch(url: String, cache: Bool, to path: String) async throws -> FetchedArtifact {
        if serverProtocol == .original {
            return try await fetchThroughOriginalCache(url: url, cache: cache, to: path)
        }
        let request =
            server + "/v1/artifacts?" + Self.query([("url", url), ("cache", cache ? "true" : "false")])
        let (response, written, digest) = try await transport.download(
            url: request, headers: v1Headers, to: path, timeout: .seconds(3600))
        // A v1 server has the route: its 404 is an answer about the artifact. Otherwise it is the original's.
        if response.status == 404 && serverProtocol != .v1 {
            detected.withLock { $0 = .original }
            return try await fetchThroughOriginalCache(url: url, cache: cache, to: path)
        }
        try check(response, "GET /v1/artifacts?url=\(url)", expect: [200])
        return FetchedArtifact(
            bytes: written, sha256: response.headers[HeaderName.sha256.lowercased()], receivedSHA256: digest)
    }

    /// The original protocol's download, as its client did: `cache: false` asks the server to fetch first
    /// (`POST /cache`, or `POST /cache/s3` for `s3://` URLs), then reads `GET /cache` (a JSON body on a GET);
    /// `cache: true` reads `GET /cache` first and asks for a fetch only on a 404. The server sends no checksum:
    /// a step's `sha256` is checked against the file itself.
    func fetchThroughOriginalCache(url: String, cache: Bool, to path: String) async throws -> FetchedArtifact {
        let body = Array(try JSONEncoder().encode(OriginalAPI.CacheRequest(secret: secret, url: url)))
        let headers = [("Content-Type", "application/json")]
        let fill = url.hasPrefix("s3://") ? "/cache/s3" : "/cache"
        func askServerToFetch() async throws {
            let response = try await transport.send(
                method: "POST", url: server + fill, headers: headers, body: body, timeout: .seconds(3600))
            try check(response, "POST \(fill) for \(url)", expect: [200])
        }
        func read() async throws -> (response: TransportResponse, written: Int64, sha256: String) {
            try await transport.download(
                method: "GET", url: server + "/cache", headers: headers, body: body, to: path,
                timeout: .seconds(3600))
        }
        if !cache { try await askServerToFetch() }
        var (response, written, digest) = try await read()
        if cache && response.status == 404 {
            try await askServerToFetch()
            (response, written, digest) = try await read()
        }
        try check(response, "GET /cache for \(url)", expect: [200])
        return FetchedArtifact(bytes: written, sha256: nil, receivedSHA256: digest)
    }

    // MARK: - Helpers

    func check(_ response: TransportResponse, _ what: String, expect: Set<Int>) throws {
        guard !expect.contains(response.status) else { return }
        var reason = "HTTP \(response.status)"
        let answer = try? JSONDecoder().decode(ErrorBody.self, from: Data(response.body))
        if let answer {
            reason += ": " + answer.error + ": " + answer.detail
        } else if !response.body.isEmpty {
            reason += ": " + String(decoding: response.body.prefix(200), as: UTF8.self).trimmingWhitespace()
        }
        if let hint = Self.credentialHint(status: response.status, error: answer?.error) {
            reason += " (\(hint))"
        }
        throw AgentError(.server, "\(server): \(what) answered \(reason)", httpStatus: response.status)
    }

    /// What to look at after a refusal. A token that lacks a scope was recognised: the server's detail names the
    /// scope it needs, and the secret is not at fault. Any other 401 or 403 (the original protocol answers a wrong
    /// secret with 403) is about the credential itself.
    static func credentialHint(status: Int, error: String?) -> String? {
        switch (status, error) {
        case (403, "insufficient_scope"):
            "the token is valid but lacks that scope: use a token that has it (prostagma-server token create)"
        case (401, _), (403, _): "check PROSTAGMA_SECRET or PROSTAGMA_SECRET_FILE"
        default: nil
        }
    }

    func decode<T: Decodable>(_ type: T.Type, _ response: TransportResponse, _ what: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(response.body))
        } catch {
            throw AgentError.server("\(server): \(what) answered with a body that is not the expected JSON: \(error)")
        }
    }

    static func seconds(_ duration: Duration) -> String {
        let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return ms % 1000 == 0 ? String(ms / 1000) : String(Double(ms) / 1000)
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters.
    static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x2E, 0x5F, 0x7E:
                out.append(Character(Unicode.Scalar(byte)))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }

    static func query(_ items: [(String, String)]) -> String {
        items.map { percentEncode($0.0) + "=" + percentEncode($0.1) }.joined(separator: "&")
    }
}
