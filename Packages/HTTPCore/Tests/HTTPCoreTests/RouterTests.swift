import HTTPCore
import HTTPCoreTesting
import Testing

@Suite(.timeLimit(.minutes(3))) struct RouterTests {
    struct Echo: Codable, Equatable {
        var name: String
        var count: Int
    }

    func makeRouter() -> Router {
        var router = Router()
        router.get("/v1/triggers/:name") { request, _ in
            HTTPResponse(text: "trigger \(request.parameters["name"] ?? "?") wait=\(request.query["wait"] ?? "-")")
        }
        router.get("/v1/triggers/special") { _, _ in HTTPResponse(text: "literal") }
        router.post("/v1/triggers/:name") { request, _ in
            let echo = try await request.decode(Echo.self)
            return try .json(echo, status: .created)
        }
        router.get("/trigger") { request, _ in
            // The original protocol sends a JSON body with GET.
            let echo = try await request.decode(Echo.self)
            return try .json(echo)
        }
        router.get("/files/*") { request, _ in HTTPResponse(text: request.parameters["*"] ?? "") }
        router.post("/small", body: .collect(maxBytes: 8)) { request, _ in
            HTTPResponse(text: "\(request.body.buffer?.readableBytes ?? -1)")
        }
        router.post("/stream", body: .stream) { request, _ in
            var total = 0
            for try await chunk in request.body { total += chunk.readableBytes }
            return HTTPResponse(text: "\(total)")
        }
        router.post("/big-json", body: .collect(maxBytes: 300_000)) { request, _ in
            let values = try await request.decode([String].self)
            return HTTPResponse(text: "\(values.count)")
        }
        router.get("/fail") { _, _ in throw Failure() }
        router.get("/teapot") { _, _ in throw HTTPError(.imATeapot, error: "teapot", detail: "short and stout") }
        router.get("/own/:code") { request, _ throws(OwnError) in
            throw OwnError(code: Int(request.parameters["code"] ?? "") ?? 0)
        }
        return router
    }

    struct Failure: Error {}

    /// An app's own error type that renders itself.
    struct OwnError: HTTPResponseError, Sendable {
        let code: Int
        var response: HTTPResponse {
            var response = HTTPResponse(text: "own \(code)")
            response.status = .init(statusCode: code)
            response.headers.add(name: "x-own", value: "yes")
            return response
        }
    }

    @Test(arguments: [409, 503])
    func anErrorThatRendersItselfIsSentAsItSays(_ code: Int) async throws {
        try await makeRouter().test { client in
            let response = try await client.execute(.GET, "/own/\(code)")
            #expect(response.status.code == code)
            #expect(response.text == "own \(code)")
            #expect(response.headers.first(name: "x-own") == "yes")
        }
    }

    @Test func routeParametersAndPercentDecodedQueryReachTheHandler() async throws {
        try await makeRouter().test { client in
            let response = try await client.execute(.GET, "/v1/triggers/web%20app?wait=3%30&x=a+b")
            #expect(response.status == .ok)
            #expect(response.text == "trigger web app wait=30")
        }
    }

    /// A router is a value: a route added to a copy is not in the original, nor the other way round.
    @Test func aCopiedRouterKeepsItsOwnRoutes() async throws {
        let original = makeRouter()
        var copy = original
        copy.get("/v1/triggers/:name/extra") { _, _ in HTTPResponse(text: "copy") }
        copy.get("/v1/triggers/special") { _, _ in HTTPResponse(text: "replaced in the copy") }
        try await original.test { client in
            let extra = try await client.execute(.GET, "/v1/triggers/web/extra")
            let special = try await client.execute(.GET, "/v1/triggers/special")
            #expect(extra.status == .notFound)
            #expect(special.text == "literal")
        }
        try await copy.test { client in
            let extra = try await client.execute(.GET, "/v1/triggers/web/extra")
            let special = try await client.execute(.GET, "/v1/triggers/special")
            let parameter = try await client.execute(.GET, "/v1/triggers/web")
            #expect(extra.text == "copy")
            #expect(special.text == "replaced in the copy")
            #expect(parameter.text == "trigger web wait=-")
        }
    }

    @Test func queryItemsSplitOnBytesKeepMultiByteCharactersWhole() {
        let query = QueryItems("name=caf%C3%A9&empty=&flag&x=a+b%2Bc&&multi=\u{00E9}\u{0301}=v")
        #expect(query["name"] == "café")
        #expect(query["empty"] == "")
        #expect(query["flag"] == "")
        #expect(query["x"] == "a b+c")
        #expect(query["multi"] == "\u{00E9}\u{0301}=v")
        #expect(query.items.count == 5)
    }

    @Test func literalSegmentWinsOverParameter() async throws {
        try await makeRouter().test { client in
            let response = try await client.execute(.GET, "/v1/triggers/special")
            #expect(response.text == "literal")
        }
    }

    @Test func catchAllCapturesTheRestOfThePath() async throws {
        try await makeRouter().test { client in
            let response = try await client.execute(.GET, "/files/a/b/c.zip")
            #expect(response.text == "a/b/c.zip")
        }
    }

    @Test func unknownPathAnswers404AsJSON() async throws {
        try await makeRouter().test { client in
            let response = try await client.execute(.GET, "/nope")
            #expect(response.status == .notFound)
            #expect(response.headers.first(name: "content-type") == "application/json")
            #expect(response.text == #"{"detail":"no route for /nope","error":"not_found"}"#)
        }
    }

    @Test func wrongMethodAnswers405WithAllow() async throws {
        try await makeRouter().test { client in
            let response = try await client.execute(.DELETE, "/v1/triggers/web")
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers.first(name: "allow") == "GET, HEAD, POST")
        }
    }

    @Test func headUsesTheGetRouteWithoutBodyButWithLength() async throws {
        try await makeRouter().test { client in
            let response = try await client.execute(.HEAD, "/v1/triggers/special")
            #expect(response.status == .ok)
            #expect(response.body.readableBytes == 0)
            #expect(response.headers.first(name: "content-length") == "7")
        }
    }

    @Test func jsonBodyIsDecodedAndEncoded() async throws {
        try await makeRouter().test { client in
            let response = try await client.execute(.POST, "/v1/triggers/web", json: Echo(name: "web", count: 3))
            #expect(response.status == .created)
            #expect(try response.decode(Echo.self) == Echo(name: "web", count: 3))
        }
    }

    @Test func getRequestMayCarryAJSONBody() async throws {
        try await makeRouter().test { client in
            let response = try await client.execute(.GET, "/trigger", json: Echo(name: "old", count: 1))
            #expect(try response.decode(Echo.self) == Echo(name: "old", count: 1))
        }
    }

    @Test func malformedJSONAnswers400() async throws {
        try await makeRouter().test { client in
            let response = try await client.execute(.POST, "/v1/triggers/web", body: "{nope")
            #expect(response.status == .badRequest)
            #expect(response.text.contains(#""error":"bad_json""#))
        }
    }

    @Test(arguments: [(8, HTTPResponseStatus.ok), (9, .payloadTooLarge)])
    func collectedBodyLimitAnswers413Beyond(size: Int, expected: HTTPResponseStatus) async throws {
        try await makeRouter().test { client in
            let response = try await client.execute(.POST, "/small", body: String(repeating: "x", count: size))
            #expect(response.status == expected)
        }
    }

    @Test func decodeHonoursTheRouteLimitNotTheDefault() async throws {
        try await makeRouter().test { client in
            let values = Array(repeating: String(repeating: "v", count: 100), count: 1000)  // ~100 KB of JSON
            let response = try await client.execute(.POST, "/big-json", json: values)
            #expect(response.status == .ok)
            #expect(response.text == "1000")
        }
    }

    @Test func streamedBodyIsNotLimited() async throws {
        try await makeRouter().test { client in
            let response = try await client.execute(.POST, "/stream", body: String(repeating: "x", count: 100_000))
            #expect(response.text == "100000")
        }
    }

    @Test func otherErrorsRenderAsGeneric500() async throws {
        try await makeRouter().test { client in
            let response = try await client.execute(.GET, "/fail")
            #expect(response.status == .internalServerError)
            #expect(response.text == #"{"detail":"the server failed to answer","error":"internal_error"}"#)
        }
    }

    @Test func httpErrorRendersItsStatusCodeAndDetail() async throws {
        try await makeRouter().test { client in
            let response = try await client.execute(.GET, "/teapot")
            #expect(response.status == .imATeapot)
            #expect(response.text == #"{"detail":"short and stout","error":"teapot"}"#)
        }
    }

    struct RecordingMiddleware: HTTPMiddleware {
        let log: Recorder

        func handle(_ request: HTTPRequest, context: RequestContext, next: Next) async throws -> HTTPResponse {
            let response = try await next(request, context)
            log.record("\(request.route ?? "nil") \(response.status.code)")
            return response
        }
    }

    struct AuthMiddleware: HTTPMiddleware {
        func handle(_ request: HTTPRequest, context: RequestContext, next: Next) async throws -> HTTPResponse {
            guard request.headers.first(name: "authorization") == "Bearer s3cret" else {
                throw HTTPError(.unauthorized, error: "unauthorized", detail: "missing or wrong bearer token")
            }
            return try await next(request, context)
        }
    }

    @Test func middlewareSeesRouteTemplateAndRenderedErrors() async throws {
        let recorder = Recorder()
        var router = makeRouter()
        router.add(middleware: RecordingMiddleware(log: recorder))
        try await router.test { client in
            _ = try await client.execute(.GET, "/v1/triggers/web")
            _ = try await client.execute(.GET, "/teapot")
            _ = try await client.execute(.GET, "/missing")
        }
        #expect(recorder.entries == ["/v1/triggers/:name 200", "/teapot 418", "nil 404"])
    }

    @Test func errorThrownByMiddlewareIsRendered() async throws {
        var router = makeRouter()
        router.add(middleware: AuthMiddleware())
        try await router.test { client in
            let denied = try await client.execute(.GET, "/v1/triggers/web")
            #expect(denied.status == .unauthorized)
            let allowed = try await client.execute(
                .GET, "/v1/triggers/web", headers: ["authorization": "Bearer s3cret"])
            #expect(allowed.status == .ok)
        }
    }

    /// Records what it observes, tagged with its name.
    struct NamedObserver: HTTPResponseObserver {
        let name: String
        let log: Recorder

        func observe(_ request: HTTPRequest, _ response: HTTPResponse, since start: ContinuousClock.Instant) {
            log.record("\(name) \(request.route ?? "nil") \(response.status.code) \(start <= .now)")
        }
    }

    /// Observers alone take the router's short path (no chain); they see what a chain's middleware sees (the route
    /// template, the rendered errors, 404 and 405), innermost first, and once per request. A plain middleware beside
    /// them puts everything back on the chain, with the same observations in the same order.
    @Test(arguments: [false, true]) func observersSeeWhatAChainWouldInItsOrder(withPlainMiddleware: Bool) async throws {
        let recorder = Recorder()
        var router = makeRouter()
        router.add(middleware: NamedObserver(name: "outer", log: recorder))
        if withPlainMiddleware { router.add(middleware: RecordingMiddleware(log: Recorder())) }
        router.add(middleware: NamedObserver(name: "inner", log: recorder))
        try await router.test { client in
            let asked: [(HTTPMethod, String)] = [
                (.GET, "/v1/triggers/web"), (.GET, "/teapot"), (.GET, "/fail"), (.GET, "/missing"),
                (.DELETE, "/v1/triggers/web"),
            ]
            var statuses: [UInt] = []
            for (method, path) in asked { statuses.append(try await client.execute(method, path).status.code) }
            #expect(statuses == [200, 418, 500, 404, 405])
        }
        #expect(
            recorder.entries == [
                "inner /v1/triggers/:name 200 true", "outer /v1/triggers/:name 200 true",
                "inner /teapot 418 true", "outer /teapot 418 true",
                "inner /fail 500 true", "outer /fail 500 true",
                "inner nil 404 true", "outer nil 404 true",
                "inner nil 405 true", "outer nil 405 true",
            ])
    }
}
