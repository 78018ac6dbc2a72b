import Foundation
import Synchronization

/// A `prostagma-agent` under test, configured with the original environment variables plus
/// `PROSTAGMA_STATE` and `PROSTAGMA_AGENT_NAME`; its log is captured to `<scenario>/<name>/agent.log`.
public final class AgentProcess: Sendable {
    /// Its name (`PROSTAGMA_AGENT_NAME`).
    public let name: String
    /// The trigger it watches.
    public let trigger: String
    /// Its build script.
    public let script: URL
    /// Its state folder.
    public let stateDirectory: URL
    /// Its Prometheus port (127.0.0.1).
    public let promPort: UInt16
    /// Its log (every start appends).
    public let log: URL
    private let environment: [String: String]
    private let harness: SystemHarness
    private let current = Mutex<ChildProcess?>(nil)

    /// The running process, if any.
    public var process: ChildProcess? { current.withLock { $0 } }

    init(
        harness: SystemHarness, server: String, secret: String, name: String, trigger: String, script: String,
        extraEnvironment: [String: String]
    ) throws {
        self.harness = harness
        self.name = name
        self.trigger = trigger
        promPort = try FreePort.next()
        let folder = harness.path(name)
        try FileSystem.makeDirectory(folder)
        self.script = folder.appendingPathComponent("deploy.yaml")
        try FileSystem.write(script, to: self.script)
        stateDirectory = folder.appendingPathComponent("state")
        log = folder.appendingPathComponent("agent.log")
        var env = Command.baseEnvironment
        env["PROSTAGMA_HOST"] = server
        env["PROSTAGMA_SECRET"] = secret
        env["PROSTAGMA_TRIGGER"] = trigger
        env["PROSTAGMA_SCRIPT"] = self.script.path
        env["PROSTAGMA_STATE"] = stateDirectory.path
        env["PROSTAGMA_PROM_PORT"] = String(promPort)
        env["PROSTAGMA_AGENT_NAME"] = name
        env["PROSTAGMA_SHELL"] = "/bin/sh"
        environment = env.merging(extraEnvironment) { $1 }
    }

    /// Starts the agent; fails if it exits within the first half second (bad configuration).
    public func start() async throws {
        let binary = try await Binaries.agent()
        try Data("--- start \(Date())\n".utf8).append(to: log)
        let process = try await harness.spawn([binary.path], environment: environment, log: log)
        current.withLock { $0 = process }
        if let status = await process.wait(timeout: .milliseconds(500)) {
            throw SystemTestError(
                "\(Binaries.agentName) \(name) exited with status \(status) at start; log tail:\n"
                    + FileSystem.tail(log))
        }
    }

    /// `kill -9` of the agent's process group.
    public func kill9() async {
        await process?.kill9()
    }

    /// SIGTERM, SIGKILL after `grace`.
    @discardableResult
    public func stop(grace: Duration = .seconds(10)) async -> Int32? {
        await process?.stop(grace: grace)
    }

    /// The agent's `/metrics` text.
    public func metrics() async throws -> PrometheusText {
        let response = try await HTTP.get("http://127.0.0.1:\(promPort)/metrics")
        guard response.status == 200 else {
            throw SystemTestError("agent \(name): GET /metrics answered \(response.status)")
        }
        return PrometheusText(response.text)
    }
}

extension SystemHarness {
    /// Creates and starts an agent named `name` watching `trigger` on `server` with the build script `script`
    /// (YAML text, written to `<scenario>/<name>/deploy.yaml`).
    public func startAgent(
        _ name: String, server: ServerProcess, trigger: String, script: String,
        environment: [String: String] = [:]
    ) async throws -> AgentProcess {
        try await startAgent(
            name, serverURL: server.baseURL, secret: server.secret, trigger: trigger, script: script,
            environment: environment)
    }

    /// Creates and starts an agent named `name` watching `trigger` on the server at `serverURL` (ours or the
    /// original) with the build script `script`.
    public func startAgent(
        _ name: String, serverURL: String, secret: String, trigger: String, script: String,
        environment: [String: String] = [:]
    ) async throws -> AgentProcess {
        let agent = try AgentProcess(
            harness: self, server: serverURL, secret: secret, name: name, trigger: trigger, script: script,
            extraEnvironment: environment)
        try await agent.start()
        return agent
    }
}
