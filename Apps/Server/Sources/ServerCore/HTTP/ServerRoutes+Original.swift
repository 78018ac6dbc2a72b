import HTTPCore
import ProstagmaProtocol

/// The original tool's API: JSON bodies carrying the secret, GET requests with bodies.
extension ServerRoutes {
    func addOriginalRoutes(to router: inout Router) {
        let decoder = BodyDecoder()
        // The original README's pipeline command has an unquoted key; these two routes accept that (JSON5's rule).
        let triggerBody = OriginalTriggerBodyReader(decoder: decoder)
        router.post(
            "/trigger",
            { request, context throws(ServerError) in
                let body = try triggerBody.read(request, context: context)
                try requireBodySecret(body.secret)
                try Validator.checkTriggerName(body.trigger)
                let state = try await components.increment(
                    body.trigger, release: NewRelease(source: .compat, requestedBy: Self.sharedSecretName))
                return try originalAnswer(state)
            })
        // Answered on the event loop (no suspension): the original's agents poll it, so it is the protocol's hot path.
        router.synchronous(
            .GET, "/trigger",
            { request, context throws(ServerError) in
                let body = try triggerBody.read(request, context: context)
                try requireBodySecret(body.secret)
                try Validator.checkTriggerName(body.trigger)
                components.originalPollers.touch(
                    trigger: body.trigger, address: context.remoteIP ?? "unknown",
                    now: components.now())
                let state = components.hub.current(body.trigger)
                return try originalAnswer(state)
            })
        for path in ["/cache", "/cache/s3"] {
            router.post(
                path,
                { request, _ throws(ServerError) in
                    let body = try decoder.decode(OriginalAPI.CacheRequest.self, from: Self.bytes(request))
                    try requireBodySecret(body.secret)
                    let source = try components.validator.checkURL(body.url)
                    if path == "/cache/s3", source != .s3 {
                        throw .invalidURL("POST /cache/s3 takes s3://bucket/key URLs; use POST /cache for \(body.url)")
                    }
                    let artifact = try await components.fetcher.artifact(body.url, source: source, refresh: true)
                    let metadata = artifact.metadata
                    return try json(OriginalAPI.Cached(url: metadata.url, size: metadata.size, sha256: metadata.sha256))
                })
        }
        router.get(
            "/cache",
            { request, _ throws(ServerError) in
                let body = try decoder.decode(OriginalAPI.CacheRequest.self, from: Self.bytes(request))
                try requireBodySecret(body.secret)
                _ = try components.validator.checkURL(body.url)
                guard let artifact = try components.fetcher.cached(body.url) else {
                    throw .notFound("\(body.url) is not in the cache; POST /cache fetches it")
                }
                return serve(artifact, request: request)
            })
    }

    /// `{"count": N, "trigger": "..."}`, written directly for a name that needs no escaping (every valid name).
    func originalAnswer(_ state: TriggerState) throws(ServerError) -> HTTPResponse {
        let answer = OriginalAPI.TriggerCount(trigger: state.trigger, count: state.count)
        guard let body = OriginalTriggerJSON.encode(answer) else { return try json(answer) }
        return HTTPResponse(headers: ["content-type": "application/json"], body: ResponseBody(buffer: body))
    }
}
