import Foundation
import HTTPCore

/// v1 runs and agents.
extension ServerRoutes {
    struct RunCreated: Encodable {
        let id: String
    }

    struct RunList: Encodable {
        let runs: [RunReport]
    }

    struct AgentBody: Encodable {
        let name: String
        let host: String?
        let triggers: [String]
        let state: String
        let lastSeen: String
        let pollIntervalSeconds: Double
        let lastRun: RunReport?

        enum CodingKeys: String, CodingKey {
            case name, host, triggers, state
            case lastSeen = "last_seen"
            case pollIntervalSeconds = "poll_interval_seconds"
            case lastRun = "last_run"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(host, forKey: .host)
            try container.encode(triggers, forKey: .triggers)
            try container.encode(state, forKey: .state)
            try container.encode(lastSeen, forKey: .lastSeen)
            try container.encode(pollIntervalSeconds, forKey: .pollIntervalSeconds)
            try container.encode(lastRun, forKey: .lastRun)
        }
    }

    struct AgentList: Encodable {
        let agents: [AgentBody]
    }

    func addRunAndAgentRoutes(to router: inout Router) {
        let decoder = BodyDecoder(maximumBytes: Self.runBodyLimit)
        router.post(
            "/v1/runs", body: .collect(maxBytes: Self.runBodyLimit),
            guarded { request, _ throws(ServerError) in
                try requireAuth(request)
                let report = try decoder.decode(RunReport.self, from: Self.bytes(request)).validated()
                let stored = try await components.store.insertRun(report)
                components.agents.touch(
                    name: stored.agent, host: stored.host, trigger: stored.trigger, pollInterval: nil,
                    now: components.now(), runID: stored.id)
                components.runHub.bump(stored.trigger)
                return try json(RunCreated(id: stored.id ?? ""), status: .created)
            })

        router.get(
            "/v1/runs",
            guarded { request, _ throws(ServerError) in
                try requireAuth(request)
                let trigger = request.query["trigger"]
                if let trigger { try Validator.checkTriggerName(trigger) }
                let limit = try request.query["limit"].map { text throws(ServerError) in
                    guard let value = Int(text), (1...1000).contains(value) else {
                        throw .badRequest("'limit' is '\(text)'; expected an integer from 1 to 1000")
                    }
                    return value
                }
                return try json(RunList(runs: try components.store.runs(trigger: trigger, limit: limit ?? 100)))
            })

        router.get(
            "/v1/agents",
            guarded { request, _ throws(ServerError) in
                try requireAuth(request)
                let agents = try components.agents.snapshot(now: components.now()).map { entry throws(ServerError) in
                    AgentBody(
                        name: entry.record.name, host: entry.record.host, triggers: entry.record.triggers,
                        state: entry.liveness.rawValue, lastSeen: Timestamp.format(entry.record.lastSeen),
                        pollIntervalSeconds: entry.record.pollIntervalSeconds,
                        lastRun: try entry.record.lastRunID.flatMap { id throws(ServerError) in
                            try components.store.run(id: id)
                        })
                }
                return try json(AgentList(agents: agents))
            })
    }
}
