import Foundation
import ProstagmaProtocol
import Synchronization

/// A `prostagma-server` under test: its own port, data folder and secret, configured through the
/// environment of DESIGN.md (`PROSTAGMA_HOST`, `PROSTAGMA_SECRET`, `PROSTAGMA_DATA`). It can be killed and
/// restarted on the same port and data folder.
public final class ServerProcess: Sendable {
    /// The port it listens on (127.0.0.1).
    public let port: UInt16
    /// Its data folder.
    public let dataDirectory: URL
    /// The shared secret.
    public let secret: String
    /// Its log (every start appends).
    public let log: URL
    private let environment: [String: String]
    private let harness: SystemHarness
    private let current = Mutex<ChildProcess?>(nil)

    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The running process, if any.
    public var process: ChildProcess? { current.withLock { $0 } }

    init(harness: SystemHarness, name: String, extraEnvironment: [String: String]) throws {
        self.harness = harness
        port = try FreePort.next()
        secret = harness.secret
        dataDirectory = harness.path("\(name)/data")
        log = harness.path("\(name)/server.log")
        try FileSystem.makeDirectory(harness.path(name))
        var env = Command.baseEnvironment
        env["PROSTAGMA_HOST"] = "127.0.0.1:\(port)"
        env["PROSTAGMA_SECRET"] = secret
        env["PROSTAGMA_DATA"] = dataDirectory.path
        env["PROSTAGMA_LOG_FORMAT"] = "text"
        environment = env.merging(extraEnvironment) { $1 }
    }

    /// Starts the server and waits until `GET /healthz` answers 200 (or fails with the log's tail).
    public func start(timeout: Duration = .seconds(30)) async throws {
        let binary = try await Binaries.server()
        try Data("--- start \(Date())\n".utf8).append(to: log)
        let process = try await harness.spawn([binary.path], environment: environment, log: log)
        current.withLock { $0 = process }
        try await Poll.check(
            "\(Binaries.serverName) on port \(port) to answer /healthz", timeout: timeout,
            interval: .milliseconds(50),
            state: { [log] in "log tail:\n" + FileSystem.tail(log) }
        ) {
            if let status = process.exitStatus {
                throw SystemTestError(
                    "\(Binaries.serverName) exited with status \(status) while starting; log tail:\n"
                        + FileSystem.tail(self.log))
            }
            return (try? await HTTP.get(self.baseURL + "/healthz", timeout: .seconds(2)))?.status == 200
        }
    }

    /// `kill -9` of the server's process group, then reaps it.
    public func kill9() async {
        await process?.kill9()
    }

    /// SIGTERM (graceful shutdown); SIGKILL if it has not ended within `grace`. Returns the exit status.
    @discardableResult
    public func stop(grace: Duration = .seconds(10)) async -> Int32? {
        await process?.stop(grace: grace)
    }

    /// Starts it again on the same port and data folder.
    public func restart() async throws {
        try await start()
    }

    /// `Authorization: Bearer <secret>`.
    public var bearer: [String: String] { ["Authorization": "Bearer \(secret)"] }

    /// An authenticated v1 GET.
    public func get(_ path: String, timeout: Duration = .seconds(10)) async throws -> HTTPResponse {
        try await HTTP.request("GET", baseURL + path, headers: bearer, timeout: timeout)
    }

    /// `POST /v1/triggers/{name}`: increments and returns the new count (throws unless 200).
    @discardableResult
    public func trigger(_ name: String) async throws -> Int {
        let response = try await HTTP.request("POST", baseURL + "/v1/triggers/\(name)", headers: bearer)
        guard response.status == 200, let count = response.json?["count"] as? Int else {
            throw SystemTestError("POST /v1/triggers/\(name) answered \(response.status): \(response.text)")
        }
        return count
    }

    /// The trigger's current count and epoch (`GET /v1/triggers/{name}` without `after`: answers at once).
    public func state(of name: String) async throws -> (count: Int, epoch: String) {
        let response = try await get("/v1/triggers/\(name)")
        guard response.status == 200, let json = response.json, let count = json["count"] as? Int else {
            throw SystemTestError("GET /v1/triggers/\(name) answered \(response.status): \(response.text)")
        }
        return (count, json["epoch"] as? String ?? "")
    }

    /// The runs reported for `trigger`, newest first (`GET /v1/runs`).
    public func runs(of trigger: String, limit: Int = 100) async throws -> [RunReport] {
        let response = try await get("/v1/runs?trigger=\(trigger)&limit=\(limit)")
        guard response.status == 200 else {
            throw SystemTestError("GET /v1/runs?trigger=\(trigger) answered \(response.status): \(response.text)")
        }
        do {
            return try JSONDecoder().decode(RunList.self, from: response.body).runs
        } catch {
            throw SystemTestError("GET /v1/runs?trigger=\(trigger): cannot decode \(response.text): \(error)")
        }
    }

    /// The server's `/metrics` text.
    public func metrics() async throws -> PrometheusText {
        let response = try await HTTP.get(baseURL + "/metrics")
        guard response.status == 200 else {
            throw SystemTestError("GET /metrics answered \(response.status)")
        }
        return PrometheusText(response.text)
    }

    /// Waits until `count` agents watch `trigger`, so a trigger from now on reaches them: the server's
    /// `prostagma_watchers{trigger}` gauge (open long polls) reaches `count`, or, should the gauge be missing,
    /// `GET /v1/agents` lists `count` live agents watching it and they have had a moment to open their poll.
    public func waitForWatchers(_ trigger: String, count: Int, timeout: Duration = .seconds(30)) async throws {
        let listedSince = Mutex<ContinuousClock.Instant?>(nil)
        try await Poll.check(
            "\(count) agent(s) long-polling trigger \(trigger)", timeout: timeout,
            state: { [self] in
                let agents = (try? await self.get("/v1/agents").text) ?? "?"
                let watchers = (try? await self.metrics())?.value("prostagma_watchers", labels: ["trigger": trigger])
                return "prostagma_watchers=\(watchers.map { "\($0)" } ?? "absent"); GET /v1/agents: \(agents)"
            }
        ) {
            let metrics = try await self.metrics()
            if let watchers = metrics.value("prostagma_watchers", labels: ["trigger": trigger]) {
                return watchers >= Double(count)
            }
            let listed = try await self.liveAgents(watching: trigger) >= count
            let now = ContinuousClock.now
            let since = listedSince.withLock { stored -> ContinuousClock.Instant? in
                if !listed { stored = nil } else if stored == nil { stored = now }
                return stored
            }
            return since.map { now - $0 >= .milliseconds(500) } ?? false
        }
    }

    /// How many agents `GET /v1/agents` lists as live and watching `trigger`.
    public func liveAgents(watching trigger: String) async throws -> Int {
        let response = try await get("/v1/agents")
        guard response.status == 200, let agents = response.json?["agents"] as? [[String: Any]] else {
            throw SystemTestError("GET /v1/agents answered \(response.status): \(response.text)")
        }
        return agents.filter {
            ($0["state"] as? String) == "live" && (($0["triggers"] as? [String]) ?? []).contains(trigger)
        }.count
    }

    /// Waits until a run of `trigger` for `count` has been reported by `agent` (if given) and returns it.
    public func waitForRun(
        of trigger: String, count: Int, agent: String? = nil, timeout: Duration = .seconds(30)
    ) async throws -> RunReport {
        try await Poll.until(
            "a run of \(trigger) for count \(count)\(agent.map { " by \($0)" } ?? "")", timeout: timeout,
            interval: .milliseconds(200),
            state: { [self] in
                let runs = (try? await self.runs(of: trigger)) ?? []
                return "reported runs: " + runs.map { "\($0.agent)#\($0.count)=\($0.status)" }.joined(separator: ", ")
            }
        ) {
            try await self.runs(of: trigger).first { $0.count == Int64(count) && (agent == nil || $0.agent == agent) }
        }
    }
}

extension Data {
    func append(to url: URL) throws {
        if let handle = try? FileHandle(forWritingTo: url) {
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: self)
        } else {
            try write(to: url)
        }
    }
}

extension SystemHarness {
    /// Creates and starts a server named `name` (its files under `<scenario>/<name>/`).
    public func startServer(
        name: String = "server", environment: [String: String] = [:]
    ) async throws -> ServerProcess {
        let server = try ServerProcess(harness: self, name: name, extraEnvironment: environment)
        try await server.start()
        return server
    }
}
