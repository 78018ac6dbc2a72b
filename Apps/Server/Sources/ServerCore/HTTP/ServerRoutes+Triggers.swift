import Foundation
import HTTPCore
import ProstagmaProtocol

/// v1 triggers: increment (optionally waiting for the deploy's outcome), read, long poll, list.
extension ServerRoutes {
    func addTriggerRoutes(to router: inout Router) {
        router.post(
            "/v1/triggers/:name", body: .collect(maxBytes: Self.webhookBodyLimit),
            { request, context throws(ServerError) in
                let name = request.parameters["name"] ?? ""
                let principal = try await authorize(request, [.trigger(name)], webhook: true)
                try Validator.checkTriggerName(name)
                let wait = try deployWait(request)
                // Read and checked before anything is recorded: a bad param leaves the count as it was.
                let release = try newRelease(request, principal: principal)
                let delivery = try claimDelivery(request, credential: principal.credential)
                return try await deploy(name, wait: wait, context: context) {
                    () async throws(ServerError) -> TriggerState in
                    do throws(ServerError) {
                        return try await components.increment(name, release: release)
                    } catch {
                        // Not counted: the forge may deliver it again.
                        if let delivery { components.deliveries.release(delivery) }
                        throw error
                    }
                }
            })

        // The shared secret's poll is answered, and waits, on the connection's event loop (no task per waiting
        // poll); a token's, or one a rollout gates, declines there and is answered by `longPoll`.
        router.immediate(
            .GET, "/v1/triggers/:name",
            { request, context throws(ServerError) in
                guard case .answer(let response) = try pollWithoutStore(request, context: context) else { return nil }
                return response
            },
            otherwise: { request, context throws(ServerError) in try await longPoll(request, context) })

        router.get(
            "/v1/triggers",
            { request, _ throws(ServerError) in
                try await authorize(request, [.read])
                let epoch = components.store.epoch
                return try json(TriggerList(triggers: components.hub.all().map { $0.with(epoch: epoch) }, epoch: epoch))
            })
    }

    /// A long poll's request once read and let in: what it waits for.
    struct PollRequest: Sendable {
        var name: String
        /// The agent that polls (`X-Prostagma-Agent`), if it said.
        var agent: String?
        var after: Int64?
        var epoch: String?
        var wait: Double
        var deadline: ContinuousClock.Instant
    }

    /// `GET /v1/triggers/{name}`: the state at once when it differs from `after`/`epoch`, else when it moves, the
    /// wait ends, or the server shuts down.
    ///
    /// A connection's task keeps the deepest frames it ever had, once per connection, so each step is a function of
    /// its own: reading the request (``readPoll(_:)``, synchronous unless a token must be looked up), the first look
    /// at the state (synchronous), and the answer after the wait. The router waits
    /// (``waitForMove(_:notifier:since:context:)``), after this function and its caller have returned.
    @inline(never)
    func longPoll(_ request: HTTPRequest, _ context: RequestContext) async throws(ServerError) -> HTTPResponse {
        // Synchronous for the shared secret: an async function's frame would take task-allocator memory that the
        // connection's task keeps; only a token needs the store, and only a rollout's gate needs to suspend here.
        switch try pollWithoutStore(request, context: context) {
        case .answer(let response):
            return response
        case .gated(let poll, let agent):
            return try await gatedPoll(poll, agent: agent, context: context)
        case .token:
            return try await tokenPoll(request, context)
        }
    }

    /// How a long poll goes on once read without suspending.
    enum PollStart {
        /// This response (see ``PollOutcome/answer(_:)``).
        case answer(HTTPResponse)
        /// Through the rollout's gate.
        case gated(PollRequest, agent: String)
        /// It presents a token, for ``tokenPoll(_:_:)``.
        case token
    }

    /// The shared secret's long poll up to the wait, synchronously.
    @inline(never)
    func pollWithoutStore(_ request: HTTPRequest, context: RequestContext) throws(ServerError) -> PollStart {
        guard let poll = try readPoll(request) else { return .token }
        switch try firstLook(poll, context: context) {
        case .answer(let response): return .answer(response)
        case .gated(let agent): return .gated(poll, agent: agent)
        }
    }

    /// ``longPoll(_:_:)`` for a request that presents a token.
    @inline(never)
    func tokenPoll(_ request: HTTPRequest, _ context: RequestContext) async throws(ServerError) -> HTTPResponse {
        let poll = try await readTokenPoll(request)
        return try await finish(poll, try firstLook(poll, context: context), context: context)
    }

    /// What a long poll answers, decided without suspending.
    enum PollOutcome {
        /// This response: the state as it is, or the wait for a move (`HTTPResponse.afterWait`) that the router does.
        case answer(HTTPResponse)
        /// The count showing has a rollout: the agent sees the count the rollout admitted it to.
        case gated(agent: String)
    }

    /// Answers the poll as `outcome` says.
    @inline(never)
    func finish(_ poll: PollRequest, _ outcome: PollOutcome, context: RequestContext) async throws(ServerError)
        -> HTTPResponse
    {
        switch outcome {
        case .answer(let response):
            return response
        case .gated(let agent):
            return try await gatedPoll(poll, agent: agent, context: context)
        }
    }

    /// ``gatedPoll(_:agent:after:epoch:until:context:)`` for `poll`.
    func gatedPoll(_ poll: PollRequest, agent: String, context: RequestContext) async throws(ServerError)
        -> HTTPResponse
    {
        try await gatedPoll(
            poll.name, agent: agent, after: poll.after, epoch: poll.epoch, until: poll.deadline, context: context)
    }

    /// The state when the poll arrives: answer at once, go through the rollout, or wait.
    @inline(never)
    func firstLook(_ poll: PollRequest, context: RequestContext) throws(ServerError) -> PollOutcome {
        let hub = components.hub
        let notifier = hub.notifier(for: poll.name)
        // Read before the state: a publish in between then ends the wait at once.
        let seen = notifier.generation
        let state = hub.current(poll.name)
        // A count's rollout exists before the count is published, so a state read here is gated if its count has a
        // rollout; checked again after the wait (afterWait), which may end on the first gated release.
        if let agent = poll.agent, components.rollouts.isGated(poll.name, count: state.count) {
            return .gated(agent: agent)
        }
        let ourEpoch = components.store.epoch
        guard let after = poll.after, poll.epoch == ourEpoch, state.count == after, poll.wait > 0,
            !context.isShuttingDown, !hub.isShutDown
        else { return .answer(try answer(state.with(epoch: ourEpoch))) }
        return .answer(waitForMove(poll, notifier: notifier, since: seen, context: context))
    }

    /// After the wait: the state then, answered as it is, or through the rollout if its count is gated (one read of
    /// the state for both, so an increment in between cannot show a gated count).
    @inline(never)
    func afterWait(_ poll: PollRequest) throws(ServerError) -> PollOutcome {
        let state = components.hub.current(poll.name)
        if let agent = poll.agent, components.rollouts.isGated(poll.name, count: state.count) {
            return .gated(agent: agent)
        }
        return .answer(try answer(state.with(epoch: components.store.epoch)))
    }

    /// Lets the long poll in with the shared secret and reads its params: 401/403 without the right credentials,
    /// 400/422 for bad ones; nil when it presents something else (a token, for ``readTokenPoll(_:)``).
    @inline(never)
    func readPoll(_ request: HTTPRequest) throws(ServerError) -> PollRequest? {
        let name = request.parameters["name"] ?? ""
        guard try authorizeWithoutStore(request, Self.pollPermissions(name)) != nil else { return nil }
        return try pollParams(request, name: name)
    }

    /// ``readPoll(_:)`` for a request that presents a token: looked up in the store, then let in as the secret is.
    @inline(never)
    func readTokenPoll(_ request: HTTPRequest) async throws(ServerError) -> PollRequest {
        let name = request.parameters["name"] ?? ""
        // The secret was checked already (readPoll).
        try admit(try await identifyToken(request), Self.pollPermissions(name), request, webhook: false)
        return try pollParams(request, name: name)
    }

    /// What lets a long poll of `name` in: any of these.
    static func pollPermissions(_ name: String) -> [TokenScope.Permission] {
        [.read, .trigger(name), .agent(name)]
    }

    /// A let-in long poll's params: 400/422 for bad ones.
    func pollParams(_ request: HTTPRequest, name: String) throws(ServerError) -> PollRequest {
        try Validator.checkTriggerName(name)
        let after: Int64? = try request.query["after"].map { text throws(ServerError) in
            guard let value = Int64(text) else {
                throw .badRequest("'after' is '\(text)'; expected the integer count the agent last saw")
            }
            return value
        }
        let wait = try Self.seconds(
            request.query["wait"], name: "wait", default: ServerComponents.defaultPollSeconds,
            maximum: ServerComponents.maximumPollSeconds)
        let agent = try noteAgent(request, trigger: name)
        return PollRequest(
            name: name, agent: agent, after: after, epoch: request.query["epoch"], wait: wait,
            deadline: ContinuousClock.now + .milliseconds(Int64(wait * 1000)))
    }

    /// Waits until `notifier` publishes after `seen`, the poll's deadline, graceful shutdown, or the client going
    /// away, then answers as ``afterWait(_:)`` says; the agent counts as polling meanwhile. The router or the
    /// connection's event loop waits (`HTTPResponse.afterWait`), so none of this route's frames are held while the
    /// poll waits; the answer is made without suspending unless the rollout gates it.
    func waitForMove(
        _ poll: PollRequest, notifier: Notifier, since seen: Notifier.Generation, context: RequestContext
    ) -> HTTPResponse {
        let components = self.components
        if let agent = poll.agent { components.agents.pollChanged(name: agent, delta: 1, now: components.now()) }
        return .afterWait(
            for: notifier, since: seen, until: poll.deadline,
            immediately: { _ throws(ServerError) in
                // Runs once whatever ended the wait, so the count above always comes down.
                if let agent = poll.agent {
                    components.agents.pollChanged(name: agent, delta: -1, now: components.now())
                }
                guard case .answer(let response) = try afterWait(poll) else { return nil }
                return response
            },
            otherwise: { () throws(ServerError) in try await finish(poll, try afterWait(poll), context: context) })
    }

    /// The long poll of an agent on a trigger with a rollout: it shows the count the rollout admitted the agent to,
    /// and waits until that differs from `after` (an admission, a new release), the wait ends, or shutdown.
    @inline(never)
    func gatedPoll(
        _ name: String, agent: String, after: Int64?, epoch: String?, until deadline: ContinuousClock.Instant,
        context: RequestContext
    ) async throws(ServerError) -> HTTPResponse {
        let hub = components.hub
        let notifier = hub.notifier(for: name)
        let ourEpoch = components.store.epoch
        // `after` counts of another database say nothing about this one's releases.
        let handled = epoch == ourEpoch ? after : nil
        components.agents.pollChanged(name: agent, delta: 1, now: components.now())
        defer { components.agents.pollChanged(name: agent, delta: -1, now: components.now()) }
        while true {
            let seen = notifier.generation
            let visible = try await gatedState(hub.current(name), agent: agent, handled: handled)
            guard let after, epoch == ourEpoch, visible.count == after, ContinuousClock.now < deadline,
                !context.isShuttingDown, !hub.isShutDown
            else { return try json(visible.with(epoch: ourEpoch)) }
            switch await context.wait(for: notifier, since: seen, until: deadline) {
            case .event: continue
            case .deadline, .shutdown, .cancelled: return try json(visible.with(epoch: ourEpoch))
            }
        }
    }

    /// The `?wait=` of an increment or a rollback, in seconds; nil when absent.
    func deployWait(_ request: HTTPRequest) throws(ServerError) -> Double? {
        try request.query["wait"].map { text throws(ServerError) in
            try Self.seconds(text, name: "wait", default: 0, maximum: ServerComponents.maximumDeployWaitSeconds)
        }
    }

    /// Makes a new count with `commit` and answers as an increment does: the new state, or with `wait` the
    /// deploy's outcome (``awaitDeploy(_:watchers:wait:context:)``).
    func deploy(
        _ name: String, wait: Double?, context: RequestContext,
        _ commit: () async throws(ServerError) -> TriggerState
    ) async throws(ServerError) -> HTTPResponse {
        guard let wait else {
            return try json(try await commit().with(epoch: components.store.epoch))
        }
        // Who must report is fixed before the increment: agents that start watching later are not awaited.
        let watchers = components.agents.liveWatchers(of: name, now: components.now())
        let state = try await commit()
        return try await awaitDeploy(state, watchers: watchers, wait: wait, context: context)
    }

    /// The release an increment records: from the API, the optional `{"params", "note"}` body (checked against
    /// Records a webhook's delivery id (`X-GitHub-Delivery`, `X-Gitea-Delivery`, `X-Gitlab-Event-UUID`); 409 when
    /// the same id was accepted within ``DeliveryLog/window``, whatever the trigger. Returns the id claimed.
    func claimDelivery(_ request: HTTPRequest, credential: Authenticator.Credential) throws(ServerError) -> String? {
        guard credential != .secret else { return nil }
        let headers = ["x-github-delivery", "x-gitea-delivery", "x-gitlab-event-uuid"]
        guard let header = headers.first(where: { request.headers.first(name: $0) != nil }),
            let id = request.headers.first(name: header)?.trimmingHTTPWhitespace(), !id.isEmpty
        else { return nil }
        let key = "\(header):\(id)"
        if let first = components.deliveries.claim(key, now: components.now()) {
            throw ServerError(
                status: 409, code: "replayed_delivery",
                detail: "\(header) '\(id)' was already accepted at \(ISO8601DateFormatter().string(from: first)); "
                    + "a delivery is counted once within \(Int(DeliveryLog.window / 3600)) hours")
        }
        return key
    }

    /// ``ReleaseRules``: 422 naming the param); from a forge's webhook, what its push payload says.
    /// `requested_by` is the token's name (a webhook signed with the shared secret records none, as before tokens).
    func newRelease(_ request: HTTPRequest, principal: Principal) throws(ServerError) -> NewRelease {
        let body = Self.bytes(request)
        let contentType = request.headers.first(name: "content-type")
        switch principal.credential {
        case .hubSignature:
            let source: ReleaseSource = request.headers.first(name: "x-gitea-event") != nil ? .gitea : .github
            return NewRelease(source: source, forge: ForgePayload.githubPush(body, contentType: contentType))
        case .gitlabToken:
            return NewRelease(
                source: .gitlab, requestedBy: principal.token?.name,
                forge: ForgePayload.gitlabPush(body, contentType: contentType))
        case .secret:
            guard !BodyDecoder.isBlank(body) else {
                return NewRelease(source: .api, requestedBy: principal.requestedBy)
            }
            let decoder = BodyDecoder(
                maximumBytes: Self.incrementBodyLimit, example: #"{"params": {"version": "1.4.2"}, "note": "..."}"#)
            let increment = try decoder.decode(IncrementRequest.self, from: body, valueErrors: true)
            do throws(ProtocolError) {
                _ = try increment.validated()
            } catch {
                throw ServerError(error)
            }
            return NewRelease(
                params: increment.params, note: increment.note, source: .api, requestedBy: principal.requestedBy)
        }
    }

    /// Records the agent named by `X-Prostagma-Agent` (if any) as seen watching `trigger`; returns its name.
    func noteAgent(_ request: HTTPRequest, trigger: String?, runID: String? = nil) throws(ServerError) -> String? {
        let interval = try request.headers.first(name: HeaderName.pollInterval).map { text throws(ServerError) in
            guard let value = Double(text), value.isFinite, value > 0, value <= 86_400 else {
                throw .badRequest("\(HeaderName.pollInterval) is '\(text)'; expected seconds from 0 to 86400")
            }
            return value
        }
        guard let agent = request.headers.first(name: HeaderName.agent)?.trimmingHTTPWhitespace(),
            !agent.isEmpty
        else { return nil }
        if agent.utf8.count > 256 { throw .badRequest("\(HeaderName.agent) must be at most 256 bytes") }
        let host = request.headers.first(name: HeaderName.host).map { String($0.prefix(256)) }
        components.agents.touch(
            name: agent, host: host, trigger: trigger, pollInterval: interval, now: components.now(), runID: runID)
        return agent
    }

    /// Waits until every agent in `watchers` reported a run for `state.count`: 200 all succeeded, 409 one
    /// did not, 504 the wait ran out (with who is pending).
    func awaitDeploy(_ state: TriggerState, watchers: [String], wait: Double, context: RequestContext)
        async throws(ServerError) -> HTTPResponse
    {
        let epoch = components.store.epoch
        let deadline = ContinuousClock.now + .milliseconds(Int64(wait * 1000))
        while true {
            let generation = components.runHub.current(state.trigger).count
            let newest = try await components.store.latestRuns(trigger: state.trigger, count: state.count, epoch: epoch)
            let runs = watchers.compactMap { newest[$0] }
            let pending = watchers.filter { newest[$0] == nil }
            let outcome = DeployOutcome(
                trigger: state.trigger, count: state.count, epoch: epoch, runs: runs, pending: pending)
            if runs.contains(where: { $0.status != .succeeded }) { return try json(outcome, status: .conflict) }
            if pending.isEmpty { return try json(outcome) }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero || context.isShuttingDown || components.runHub.isShutDown {
                return try json(outcome, status: .gatewayTimeout)
            }
            _ = await components.runHub.wait(state.trigger, after: generation, timeout: remaining)
        }
    }
}
