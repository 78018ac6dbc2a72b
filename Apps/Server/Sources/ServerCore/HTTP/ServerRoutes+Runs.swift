import Foundation
import HTTPCore
import ProstagmaProtocol

/// v1 runs and agents.
extension ServerRoutes {
    func addRunAndAgentRoutes(to router: inout Router) {
        let decoder = BodyDecoder(maximumBytes: Self.runBodyLimit)
        router.post(
            "/v1/runs", body: .collect(maxBytes: Self.runBodyLimit),
            { request, _ throws(ServerError) in
                // Any agent scope lets the body be read; the report's trigger must then be one of the token's.
                let principal = try await authorize(request, [.agent(nil)])
                let received = try decoder.decode(RunReport.self, from: Self.bytes(request))
                let report: RunReport
                do throws(ProtocolError) {
                    report = try received.validated()
                } catch {
                    throw ServerError(error)
                }
                if let token = principal.token { try Self.check(token, [.agent(report.trigger)], request) }
                let stored = try await components.store.insertRun(report)
                components.agents.touch(
                    name: stored.agent, host: stored.host, trigger: stored.trigger, pollInterval: nil,
                    now: components.now(), runID: stored.id)
                // The slot is freed (and the next agent admitted) before the report is acknowledged.
                let halted = try await components.rollouts.reported(
                    stored.trigger, agent: stored.agent, count: stored.count, succeeded: stored.status == .succeeded,
                    now: components.now())
                if let halted, halted.policy.autoRollback { await components.autoRollback(halted) }
                components.runHub.bump(stored.trigger)
                return try json(RunCreated(id: stored.id ?? ""), status: .created)
            })

        router.get(
            "/v1/runs",
            { request, _ throws(ServerError) in
                try await authorize(request, [.read])
                let trigger = request.query["trigger"]
                if let trigger { try Validator.checkTriggerName(trigger) }
                let limit = try request.query["limit"].map { text throws(ServerError) in
                    guard let value = Int(text), (1...1000).contains(value) else {
                        throw .badRequest("'limit' is '\(text)'; expected an integer from 1 to 1000")
                    }
                    return value
                }
                return try json(RunList(runs: try await components.store.runs(trigger: trigger, limit: limit ?? 100)))
            })

        router.get(
            "/v1/agents",
            { request, _ throws(ServerError) in
                try await authorize(request, [.read])
                return try json(AgentList(agents: try await components.agentSummaries(now: components.now())))
            })
    }
}
