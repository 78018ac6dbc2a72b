import Foundation
import ServiceLifecycleTestKit
import Synchronization

@testable import AgentCore

/// The Python stand-in server (Support/standin_server.py) run for one test, in its own process group.
final class StandInServer: Sendable {
    enum Mode: String { case original, v1 }

    let port: Int
    /// Begins the shutdown the server's process runs in: SIGTERM to its group at once (grace 0).
    let stop: GracefulShutdownTestTrigger
    let task: Task<ProcessResult, any Error>
    static let secret = "s3cret"

    var url: String { "http://127.0.0.1:\(port)" }

    private init(port: Int, stop: GracefulShutdownTestTrigger, task: Task<ProcessResult, any Error>) {
        self.port = port
        self.stop = stop
        self.task = task
    }

    static func start(_ mode: Mode) async throws -> StandInServer {
        let trigger = Mutex<GracefulShutdownTestTrigger?>(nil)
        let firstLine = Mutex<String?>(nil)
        var process = StepProcess(
            executable: "/usr/bin/python3",
            arguments: [RepoPaths.testsSupport + "/standin_server.py", "--mode", mode.rawValue, "--secret", secret],
            environment: ProcessInfo.processInfo.environment)
        process.killDelay = .seconds(1)
        // The trigger is kept before the process starts, so a server that printed its port has one.
        let task = Task {
            try await testGracefulShutdown { shutdown in
                trigger.withLock { $0 = shutdown }
                return try await process.run(grace: .zero) { line in
                    firstLine.withLock { if $0 == nil { $0 = line } }
                }
            }
        }
        if try await eventually(timeout: .seconds(10), { firstLine.withLock { $0.flatMap(Int.init) } != nil }),
            let port = firstLine.withLock({ $0.flatMap(Int.init) }), let stop = trigger.withLock({ $0 })
        {
            return StandInServer(port: port, stop: stop, task: task)
        }
        if let stop = trigger.withLock({ $0 }) { stop.triggerGracefulShutdown() } else { task.cancel() }
        throw AgentError.io("the stand-in server did not start")
    }

    func shutdown() async {
        stop.triggerGracefulShutdown()
        _ = try? await task.value
    }

    /// Calls a control endpoint and returns its JSON.
    @discardableResult
    func control(_ path: String, body: [UInt8]? = nil) async throws -> [String: Any] {
        let transport = try ClientTransport(caFile: nil)
        let result = await Result(catching: {
            try await transport.send(method: "POST", url: url + path, headers: [], body: body, timeout: .seconds(10))
        })
        try? await transport.shutdown()
        let response = try result.get()
        return (try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
    }

    func runs() async throws -> [[String: Any]] {
        (try await control("/_control/runs")["runs"] as? [[String: Any]]) ?? []
    }

    /// The requests the server received, in order, without the control calls.
    func requests() async throws -> [[String: Any]] {
        let all = (try await control("/_control/requests")["requests"] as? [[String: Any]]) ?? []
        return all.filter { ($0["path"] as? String)?.hasPrefix("/_control/") != true }
    }
}
