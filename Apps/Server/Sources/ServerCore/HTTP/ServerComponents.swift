import ArtifactCache
import Foundation
import Logging
import ProstagmaProtocol

/// Everything a request handler needs, built once at start and shared by every route.
public final class ServerComponents: Sendable {
    /// The resolved configuration.
    public let configuration: ServerConfiguration
    /// Credential checks.
    public let authenticator: Authenticator
    /// Trigger names and URLs.
    public let validator: Validator
    /// Durable state.
    public let store: any ServerStore
    /// The store when it is a PostgreSQL database other replicas share (their changes arrive by
    /// ``PostgresListener``); nil for the embedded SQLite store.
    public let sharedStore: PostgresStore?
    /// Committed trigger states and the long polls on them.
    public let hub: TriggerHub
    /// Run reports per trigger, as a generation counter that `?wait=` increments wait on.
    let runHub: TriggerHub
    /// Agents and their liveness.
    public let agents: AgentRegistry
    /// Rollout policies and the admission of agents to new releases.
    public let rollouts: RolloutCoordinator
    /// Prometheus metrics.
    public let metrics: ServerMetrics
    /// Fetches artifacts into the cache.
    public let fetcher: ArtifactFetcher
    /// Webhook deliveries accepted recently (replays are refused).
    public let deliveries = DeliveryLog()
    /// Each trigger's newest state as JSON, encoded once for all the long polls it wakes.
    let encodedStates = EncodedStates()
    /// Addresses polling with the original protocol (not gated; the status page shows them).
    public let originalPollers = OriginalPollers()
    /// The CSRF token of the status page's forms.
    public let statusFormToken: StatusFormToken
    /// The configuration file, when one is given (its policies are applied at start and fixed).
    public let configFile: ServerConfigurationFile?
    /// Logger for server events (never given the secret).
    public let logger: Logger
    /// The clock for liveness (injectable for tests).
    let now: @Sendable () -> Date

    /// Longest long poll (DESIGN.md: 60 s).
    public static let maximumPollSeconds = 60.0
    /// Default long poll when `wait` is absent (docs/api.md: 30 s).
    public static let defaultPollSeconds = 30.0
    /// Longest `POST /v1/triggers/{name}?wait=` (docs/api.md: 3600 s).
    public static let maximumDeployWaitSeconds = 3600.0

    /// Opens the store and the cache under the configured data directory, and loads the triggers and agents.
    public init(
        configuration: ServerConfiguration, secret: String, logger: Logger,
        upstreamTimeout: Duration = .seconds(300), now: @escaping @Sendable () -> Date = { Date() }
    ) async throws {
        self.configuration = configuration
        self.authenticator = Authenticator(secret: secret)
        self.statusFormToken = StatusFormToken(secret: secret)
        self.validator = Validator(allowedURLPrefixes: configuration.allowedURLPrefixes)
        let store: any ServerStore
        if let url = configuration.databaseURL {
            let shared = try await PostgresStore(url: url, logger: logger)
            store = shared
            sharedStore = shared
        } else {
            store = try SQLiteStore(directory: configuration.dataDirectory, logger: logger)
            sharedStore = nil
        }
        self.store = store
        let triggers = try await store.loadTriggers()
        let hub = TriggerHub(initial: triggers)
        self.hub = hub
        self.runHub = TriggerHub()
        let agentRecords = try await store.loadAgents()
        let agents = AgentRegistry(initial: agentRecords)
        self.agents = agents
        var watchers: [String: [String]] = [:]
        for record in agentRecords {
            for trigger in record.triggers { watchers[trigger, default: []].append(record.name) }
        }
        let file = try configuration.configFile.map { path throws(ServerError) in
            try ServerConfigurationFile.load(path)
        }
        self.configFile = file
        var policies = try await store.loadPolicies()
        // The file's policies win over what a PUT stored before (docs/decisions.md); stored, so the rollouts and
        // the store agree.
        for (trigger, policy) in (file?.policies ?? [:]).sorted(by: { $0.key < $1.key })
        where policies[trigger] != policy {
            try await store.setPolicy(policy, trigger: trigger, now: now())
            policies[trigger] = policy
        }
        self.rollouts = RolloutCoordinator(
            store: store, hub: hub, policies: policies, rollouts: try await store.loadRollouts(),
            counts: Dictionary(triggers.map { ($0.trigger, $0.count) }, uniquingKeysWith: max), watchers: watchers,
            now: now(), shared: sharedStore,
            seen: { [agents] names in agents.lastSeen(of: names, now: now()) })
        let cacheDirectory = (configuration.dataDirectory as NSString).appendingPathComponent("cache")
        let cache = try ArtifactCache(
            directory: cacheDirectory, settings: ArtifactCache.Settings(maxBytes: configuration.cacheMaxBytes))
        self.metrics = try ServerMetrics(hub: hub, agents: agents, cache: cache)
        self.fetcher = ArtifactFetcher(
            cache: cache, awsPath: configuration.awsPath, timeout: upstreamTimeout, metrics: metrics, logger: logger,
            validator: validator, addressPolicy: configuration.deniedNetworks)
        self.logger = logger
        self.now = now
    }

    /// Increments `name` with `release`, publishes the new state to long polls, counts it; returns once durable.
    public func increment(_ name: String, release: NewRelease) async throws(ServerError) -> TriggerState {
        let state = try await store.increment(name, release: release, now: now(), afterCommit: publisher(name))
        metrics.triggersTotal.labels(name).increment()
        await persistRollout(name)
        return state
    }

    /// What runs in an increment's commit callback: the rollout of the new count starts (when the trigger has a
    /// policy) before the count is published, so no long poll sees it ungated.
    private func publisher(_ name: String) -> @Sendable (TriggerState) -> Void {
        let (hub, rollouts, agents, now) = (self.hub, self.rollouts, self.agents, self.now)
        return { committed in
            let time = now()
            rollouts.released(committed, liveAgents: { agents.liveWatchers(of: name, now: time) }, now: time)
            hub.publish(committed)
        }
    }

    /// Saves the rollout a new count started. A failure is logged, not answered: the count is committed, and a
    /// restart makes the lost rollout again with every agent waiting.
    private func persistRollout(_ name: String) async {
        do {
            try await rollouts.persist(name)
        } catch {
            logger.error("could not store the rollout", metadata: ["trigger": "\(name)", "error": "\(error)"])
        }
    }

    /// Rolls `name` back to `target` (a new count re-deploying that release's params), publishes and counts it like
    /// an increment; returns once durable.
    public func rollback(_ name: String, to target: RollbackRequest.Target, note: String?, requestedBy: String?)
        async throws(ServerError) -> TriggerState
    {
        let state = try await store.rollback(
            name, to: target, note: note, requestedBy: requestedBy, now: now(), afterCommit: publisher(name))
        metrics.triggersTotal.labels(name).increment()
        await persistRollout(name)
        return state
    }

    /// The `requested_by` of a release made by `auto_rollback`.
    static let autoRollbackRequester = "auto_rollback"

    /// Rolls `halted`'s trigger back to `previous` (the newest release before it whose runs all succeeded) when its
    /// policy has `auto_rollback` and nothing newer superseded it. The new count is a rollout of its own under the
    /// same policy, so the agents that ran the bad release get the good one again. Nothing to go back to is logged.
    func autoRollback(_ halted: RolloutMachine) async {
        guard hub.current(halted.trigger).count == halted.count else { return }
        let note =
            "Automatic rollback: the rollout of #\(halted.count) halted"
            + (halted.haltedBy.map { " (\($0)'s run failed)" } ?? "")
        do {
            let state = try await rollback(
                halted.trigger, to: .previous, note: note, requestedBy: Self.autoRollbackRequester)
            logger.notice(
                "rolled back after a halted rollout",
                metadata: ["trigger": "\(halted.trigger)", "halted": "\(halted.count)", "count": "\(state.count)"])
        } catch {
            logger.warning(
                "auto_rollback could not roll back",
                metadata: ["trigger": "\(halted.trigger)", "halted": "\(halted.count)", "error": "\(error)"])
        }
    }

    /// Writes changed agent records to the store. With a shared store, agents holding a long poll here are written as
    /// seen now (other replicas know them only from the database), and the agents other replicas saw are read back.
    public func flushAgents() async {
        do {
            try await store.saveAgents(agents.takeDirty(refreshingOpenPollsAt: sharedStore == nil ? nil : now()))
            if let sharedStore { agents.merge(try await sharedStore.loadAgents()) }
        } catch {
            logger.warning("could not store agents", metadata: ["error": "\(error)"])
        }
    }

    // MARK: - Changes made by other replicas

    /// Publishes `state`, read from the shared database, when it is newer than this replica knows: long polls wake
    /// and a rollout starts as after a local increment. Older or equal states change nothing (the local increment
    /// published them already).
    func adopt(_ state: TriggerState) {
        guard state.count > hub.current(state.trigger).count else { return }
        publisher(state.trigger)(state)
    }

    /// Handles one notification from another replica (or this one): reads the row it names, which is the truth.
    func handleNotification(_ payload: String) async throws(ServerError) {
        guard let sharedStore, payload.count > 2 else { return }
        let name = String(payload.dropFirst(2))
        switch payload.first {
        case "t":
            let state = try await sharedStore.trigger(name)
            adopt(state)
        case "r": runHub.bump(name)
        case "p":
            let policy = try await sharedStore.policy(trigger: name)
            rollouts.policyChanged(policy, trigger: name)
        case "o":
            if let stored = try await sharedStore.storedRollout(of: name) { rollouts.adopt(stored) }
        default: return
        }
    }

    /// Re-reads what other replicas may have changed while no notification could arrive (after the LISTEN connection
    /// is made, and every ``PostgresListener/resyncInterval``): counts, policies, agents, rollouts; deploy waits re-read
    /// their runs.
    func resync() async throws(ServerError) {
        guard let sharedStore else { return }
        for state in try await sharedStore.loadTriggers() { adopt(state) }
        for (trigger, policy) in try await sharedStore.loadPolicies() {
            rollouts.policyChanged(policy, trigger: trigger)
        }
        agents.merge(try await sharedStore.loadAgents())
        for stored in try await sharedStore.storedRollouts() { rollouts.adopt(stored) }
        for trigger in runHub.watcherCounts().keys { runHub.bump(trigger) }
    }

    /// Every agent the server knows of, with its liveness at `now` and its newest run (one read for all of them).
    public func agentSummaries(now: Date) async throws(ServerError) -> [AgentSummary] {
        let entries = agents.snapshot(now: now)
        let lastRuns = try await store.runs(ids: entries.compactMap(\.record.lastRunID))
        return entries.map { entry in
            AgentSummary(
                name: entry.record.name, host: entry.record.host, triggers: entry.record.triggers,
                state: entry.liveness, lastSeen: entry.record.lastSeen,
                pollIntervalSeconds: entry.record.pollIntervalSeconds,
                lastRun: entry.record.lastRunID.flatMap { lastRuns[$0] })
        }
    }
}
