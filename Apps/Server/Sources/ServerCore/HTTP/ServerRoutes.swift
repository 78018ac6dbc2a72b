import Foundation
import HTTPCore
import PrometheusMetrics
import ProstagmaProtocol

/// The server's routes: the original API, v1, `/metrics`, `/healthz`, `/openapi.yaml`.
///
/// Handlers throw ``ServerError``, which renders itself as the JSON error body of docs/api.md (`HTTPResponseError`).
public struct ServerRoutes: Sendable {
    /// Shared state.
    public let components: ServerComponents

    /// Largest `POST /v1/triggers/{name}` body (forge webhooks carry large payloads; a push payload is read only for
    /// its ref, commit and pusher, and a body from the API is held to ``incrementBodyLimit``).
    static let webhookBodyLimit = 4 << 20
    /// Largest `{"params", "note"}` body of an increment: 32 params of 4 KiB fit even when escaped.
    static let incrementBodyLimit = 1 << 20
    /// A release's `requested_by` when the shared secret asked (a named token's name otherwise).
    static let sharedSecretName = "secret"
    /// Largest `POST /v1/runs` body (a run carries up to 64 KiB of log tail, escaped).
    static let runBodyLimit = 512 << 10

    /// Creates the routes over `components`.
    public init(components: ServerComponents) {
        self.components = components
    }

    /// Builds the router with every route and the metrics middleware.
    public func makeRouter() -> Router {
        var router = Router()
        router.add(middleware: MetricsMiddleware(metrics: components.metrics))
        addOriginalRoutes(to: &router)
        addTriggerRoutes(to: &router)
        addReleaseRoutes(to: &router)
        addRolloutRoutes(to: &router)
        addArtifactRoutes(to: &router)
        addRunAndAgentRoutes(to: &router)
        addStatusRoute(to: &router)
        addStatusFormRoutes(to: &router)
        // These answer without suspending: the server runs them on the connection's event loop.
        router.synchronous(
            .GET, "/metrics",
            { _, _ in
                HTTPResponse(text: components.metrics.registry.render(), contentType: Exposition.contentType)
            })
        router.synchronous(
            .GET, "/healthz",
            { _, _ in
                try .json(Health(epoch: components.store.epoch))
            })
        router.synchronous(
            .GET, "/openapi.yaml",
            { _, _ in
                HTTPResponse(text: Self.openAPIDocument, contentType: "application/yaml")
            })
        return router
    }

    /// The OpenAPI document (`Resources/openapi.yaml`, embedded in the binary by Tools/embed-openapi.sh).
    public static let openAPIDocument: String = OpenAPIDocument.text

    // MARK: Helpers

    static func bytes(_ request: HTTPRequest) -> [UInt8] {
        request.body.buffer.map { Array($0.readableBytesView) } ?? []
    }

    /// Checks the `secret` field of an original-API body.
    func requireBodySecret(_ secret: String?) throws(ServerError) {
        switch components.authenticator.checkBodySecret(secret) {
        case .accepted: return
        case .missing: throw .unauthorized("the JSON body needs a \"secret\" field")
        case .rejected: throw .forbidden("bad secret")
        }
    }

    func json(_ value: some Encodable, status: HTTPResponseStatus = .ok) throws(ServerError) -> HTTPResponse {
        do {
            return try .json(value, status: status)
        } catch {
            throw .unavailable("the response could not be encoded: \(error)")
        }
    }

    /// A trigger's state as the JSON answer of a poll, its bytes shared by every poll that answers the same state.
    func answer(_ state: TriggerState) throws(ServerError) -> HTTPResponse {
        do {
            return .json(encoded: try components.encodedStates.body(of: state))
        } catch {
            throw .unavailable("the response could not be encoded: \(error)")
        }
    }

    /// Parses an optional number of seconds in `0...maximum`; 400 otherwise.
    static func seconds(_ text: String?, name: String, default value: Double, maximum: Double) throws(ServerError)
        -> Double
    {
        guard let text else { return value }
        guard let seconds = Double(text), seconds.isFinite, seconds >= 0 else {
            throw .badRequest("'\(name)' is '\(text)'; expected a number of seconds from 0 to \(Int(maximum))")
        }
        return min(seconds, maximum)
    }
}
