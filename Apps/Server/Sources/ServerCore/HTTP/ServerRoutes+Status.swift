import Foundation
import HTTPCore
import ProstagmaProtocol

/// `GET /`: the status page (issue 10), rendered by ``StatusPage`` from a snapshot of the server's state.
/// HTTP Basic auth with any user name and the secret, or a token with the `read` scope, as password (a bearer
/// works too).
extension ServerRoutes {
    /// How many recent runs the page shows.
    static let statusPageRuns = 50
    /// How many of each trigger's newest releases the page's history shows (the API pages through all of them).
    static let statusPageReleases = 10

    func addStatusRoute(to router: inout Router) {
        router.get("/") { request, _ in
            if let refusal = await statusPageRefusal(request, needs: [.read]) { return refusal }
            do throws(ServerError) {
                let snapshot = try await statusSnapshot()
                var response = HTTPResponse(text: StatusPage.render(snapshot), contentType: StatusPage.contentType)
                response.headers.add(name: "content-security-policy", value: StatusPage.contentSecurityPolicy)
                response.headers.add(name: "cache-control", value: "no-store")
                return response
            } catch {
                return error.response
            }
        }
    }

    /// The server's state as the status page shows it.
    func statusSnapshot() async throws(ServerError) -> StatusSnapshot {
        let now = components.now()
        let store = components.store
        let agents = try await components.agentSummaries(now: now)
        let runs = try await store.runs(trigger: nil, limit: Self.statusPageRuns)
        let triggers = components.hub.all()
        var history: [String: [Release]] = [:]
        for trigger in triggers where trigger.count > 0 {
            history[trigger.trigger] =
                try await store.releases(trigger: trigger.trigger, before: nil, limit: Self.statusPageReleases).releases
        }
        var runReleases: [String: [Int64: Release]] = [:]
        for (trigger, counts) in Dictionary(grouping: runs.map { ($0.trigger, $0.count) }, by: { $0.0 }) {
            runReleases[trigger] = try await store.releases(trigger: trigger, counts: Array(Set(counts.map(\.1))))
        }
        var rollouts: [String: Rollout] = [:]
        var ungated: [String: [OriginalPollers.Poller]] = [:]
        for trigger in triggers {
            rollouts[trigger.trigger] = components.rollouts.rollout(of: trigger.trigger)?.snapshot
            let pollers = components.originalPollers.pollers(of: trigger.trigger, now: now)
            if !pollers.isEmpty { ungated[trigger.trigger] = pollers }
        }
        return StatusSnapshot(
            triggers: triggers, agents: agents, runs: runs, serverEpoch: store.epoch, generatedAt: now,
            history: history, runReleases: runReleases, rollouts: rollouts, ungated: ungated,
            formToken: components.statusFormToken.issue(now: now))
    }

    /// The page's own authentication, for `GET /` (`needs` `read`) and the page's forms (`trigger:NAME`): HTTP Basic
    /// with any user name and the secret or a token as password (a bearer works too). Nil when it passes, else the
    /// answer: 401 with a Basic challenge (so a browser asks again) for missing or unknown credentials, 403 naming
    /// the scope for a token that may not do this.
    func statusPageRefusal(_ request: HTTPRequest, needs permissions: [TokenScope.Permission]) async -> HTTPResponse? {
        do throws(ServerError) {
            let principal: Principal
            switch try await identify(request) {
            case .missing:
                return Self.challenge(
                    "the status page needs HTTP Basic auth: any user name, the secret or a read token as password")
            case .rejected:
                // 401, not the API's 403: with the Basic challenge a browser asks for the password again.
                return Self.challenge("the credentials match neither the server's secret nor a token")
            case .secret(let credential): principal = Principal(token: nil, credential: credential)
            case .token(let token, let credential): principal = Principal(token: token, credential: credential)
            }
            try admit(principal, permissions, request, webhook: false)
            return nil
        } catch {
            return error.response
        }
    }

    /// A 401 with the Basic challenge, so a browser asks for the password (again).
    static func challenge(_ detail: String) -> HTTPResponse {
        var response = ServerError.unauthorized(detail).response
        response.headers.replaceOrAdd(name: "www-authenticate", value: "Basic realm=\"prostagma\", charset=\"UTF-8\"")
        return response
    }
}
