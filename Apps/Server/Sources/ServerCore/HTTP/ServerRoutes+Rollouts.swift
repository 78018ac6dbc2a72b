import Foundation
import HTTPCore
import ProstagmaProtocol

/// v1 rollouts: a trigger's policy, its newest rollout, and the operator's controls.
extension ServerRoutes {
    func addRolloutRoutes(to router: inout Router) {
        let policyDecoder = BodyDecoder(example: #"{"max_parallel": "20%", "canary": 1, "canary_soak": 300}"#)
        router.put(
            "/v1/triggers/:name/policy",
            { request, _ throws(ServerError) in
                let name = request.parameters["name"] ?? ""
                try await authorize(request, [.admin])
                try Validator.checkTriggerName(name)
                try refuseConfiguredPolicy(name, "PUT")
                let received = try policyDecoder.decode(
                    RolloutPolicy.self, from: Self.bytes(request), valueErrors: true)
                let policy: RolloutPolicy
                do throws(ProtocolError) {
                    policy = try received.validated()
                } catch {
                    throw ServerError(error)
                }
                try await components.store.setPolicy(policy, trigger: name, now: components.now())
                components.rollouts.policyChanged(policy, trigger: name)
                return try json(policy)
            })

        router.get(
            "/v1/triggers/:name/policy",
            { request, _ throws(ServerError) in
                let name = request.parameters["name"] ?? ""
                try await authorize(request, [.read, .trigger(name)])
                try Validator.checkTriggerName(name)
                return try json(components.rollouts.policy(of: name))
            })

        router.delete(
            "/v1/triggers/:name/policy",
            { request, _ throws(ServerError) in
                let name = request.parameters["name"] ?? ""
                try await authorize(request, [.admin])
                try Validator.checkTriggerName(name)
                try refuseConfiguredPolicy(name, "DELETE")
                try await components.store.setPolicy(nil, trigger: name, now: components.now())
                components.rollouts.policyChanged(nil, trigger: name)
                return try json(RolloutPolicy?.none)
            })

        router.get(
            "/v1/triggers/:name/rollout",
            { request, _ throws(ServerError) in
                let name = request.parameters["name"] ?? ""
                try await authorize(request, [.read, .trigger(name)])
                try Validator.checkTriggerName(name)
                guard let rollout = components.rollouts.rollout(of: name) else {
                    throw ServerError(
                        status: 404, code: "no_rollout",
                        detail: "trigger '\(name)' has no rollout: set a policy (PUT /v1/triggers/\(name)/policy), "
                            + "then increment it")
                }
                return try json(rollout.snapshot)
            })

        router.post(
            "/v1/triggers/:name/rollout/:action",
            { request, _ throws(ServerError) in
                let name = request.parameters["name"] ?? ""
                try await authorize(request, [.trigger(name)])
                try Validator.checkTriggerName(name)
                let text = request.parameters["action"] ?? ""
                guard let action = RolloutCoordinator.Action(rawValue: text) else {
                    let actions = RolloutCoordinator.Action.allCases.map(\.rawValue).joined(separator: ", ")
                    throw .notFound("'\(text)' is not a rollout action; expected one of \(actions)")
                }
                return try json(try await components.rollouts.control(name, action: action, now: components.now()))
            })
    }

    /// 409 when the configuration file sets `name`'s policy: the file is the one place to change it.
    func refuseConfiguredPolicy(_ name: String, _ method: String) throws(ServerError) {
        guard let file = components.configFile, file.policies[name] != nil else { return }
        throw ServerError(
            status: 409, code: "policy_from_configuration",
            detail: "the policy of '\(name)' is set in the configuration file \(file.path) (PROSTAGMA_CONFIG); "
                + "\(method) cannot change it: edit the file and restart the server")
    }

    /// What `agent`'s long poll of `name` may show: `current` itself when the trigger is not gated, else the count
    /// the rollout lets it see, with that count's release.
    func gatedState(_ current: TriggerState, agent: String?, handled: Int64?) async throws(ServerError)
        -> TriggerState
    {
        guard let agent,
            let shown = try await components.rollouts.polled(
                current.trigger, agent: agent, handled: handled, current: current.count, now: components.now()),
            shown < current.count
        else { return current }
        guard shown > 0 else { return TriggerState(trigger: current.trigger, count: 0) }
        let release = try await components.store.releases(trigger: current.trigger, counts: [shown])[shown]
        return TriggerState(
            trigger: current.trigger, count: shown, lastIncrement: release?.createdAt, release: release)
    }
}
