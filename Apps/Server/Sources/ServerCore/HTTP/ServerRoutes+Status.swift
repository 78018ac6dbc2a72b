import Foundation
import HTTPCore

/// `GET /`: the status page (issue 10), rendered by ``StatusPage`` from a snapshot of the server's state.
/// HTTP Basic auth with any user name and the secret as password (a bearer works too).
extension ServerRoutes {
    /// How many recent runs the page shows.
    static let statusPageRuns = 50

    func addStatusRoute(to router: inout Router) {
        router.get("/") { request, _ in
            let outcome = components.authenticator.checkHeaders(
                { request.headers.first(name: $0) }, body: Self.bytes(request))
            guard outcome == .accepted else {
                let error: ServerError =
                    outcome == .missing
                    ? .unauthorized("the status page needs HTTP Basic auth: any user name, the secret as password")
                    // 401, not the API's 403: with the Basic challenge a browser asks for the password again.
                    : .unauthorized("the credentials do not match the server's secret")
                var response = Self.errorResponse(error)
                response.headers.replaceOrAdd(
                    name: "www-authenticate", value: "Basic realm=\"prostagma\", charset=\"UTF-8\"")
                return response
            }
            do throws(ServerError) {
                let snapshot = try statusSnapshot()
                var response = HTTPResponse(text: StatusPage.render(snapshot), contentType: StatusPage.contentType)
                response.headers.add(name: "content-security-policy", value: StatusPage.contentSecurityPolicy)
                response.headers.add(name: "cache-control", value: "no-store")
                return response
            } catch {
                return Self.errorResponse(error)
            }
        }
    }

    /// The server's state as the status page shows it.
    func statusSnapshot() throws(ServerError) -> StatusSnapshot {
        let now = components.now()
        let store = components.store
        let triggers = components.hub.all().map {
            StatusSnapshot.Trigger(name: $0.name, count: $0.count, lastIncrement: $0.lastIncrement)
        }
        var agents: [StatusSnapshot.Agent] = []
        for entry in components.agents.snapshot(now: now) {
            let lastRun = try entry.record.lastRunID.flatMap { id throws(ServerError) in try store.run(id: id) }
            agents.append(
                StatusSnapshot.Agent(
                    name: entry.record.name, host: entry.record.host,
                    state: entry.liveness == .live ? .live : .stale, lastSeen: entry.record.lastSeen,
                    triggers: entry.record.triggers,
                    lastRun: lastRun.map { run in
                        let converted = Self.snapshotRun(run)
                        return StatusSnapshot.LastRun(
                            id: run.id, status: run.status, durationSeconds: converted.durationSeconds,
                            finishedAt: converted.finishedAt)
                    }))
        }
        let runs = try store.runs(limit: Self.statusPageRuns).map(Self.snapshotRun)
        return StatusSnapshot(
            triggers: triggers, agents: agents, runs: runs, serverEpoch: store.epoch, generatedAt: now)
    }

    static func snapshotRun(_ run: RunReport) -> StatusSnapshot.Run {
        StatusSnapshot.Run(
            id: run.id ?? "", agent: run.agent, trigger: run.trigger, count: run.count, status: run.status,
            startedAt: run.startedAt.flatMap(Timestamp.parse), finishedAt: run.finishedAt.flatMap(Timestamp.parse),
            steps: run.steps.map {
                StatusSnapshot.Step(
                    index: $0.index, kind: $0.kind, status: $0.status, durationSeconds: $0.durationSeconds,
                    exitCode: $0.exitCode, message: $0.message)
            },
            logTail: run.logTail)
    }
}
