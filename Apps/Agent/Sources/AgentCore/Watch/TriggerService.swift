import Logging
import ServiceLifecycle

/// One watched trigger as a `Service`: its watcher feeds the trigger loop, which runs the script for each new count.
///
/// On graceful shutdown it stops watching and fires the run's shutdown token, so a running step gets the configured
/// grace period before its process group is terminated; the service returns once the loop has finished.
struct TriggerService: Service {
    let watcher: TriggerWatcher
    let loop: TriggerLoop
    /// Fired on graceful shutdown; the executor and the loop of this trigger watch it.
    let shutdown: StopSignal
    let grace: Duration
    let logger: Logger

    func run() async throws {
        let (states, continuation) = AsyncStream.makeStream(of: PollResult.self, bufferingPolicy: .bufferingNewest(1))
        let watcher = self.watcher
        let loop = self.loop
        let shutdown = self.shutdown
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Watching ends at shutdown; the loop then drains and returns.
                    await withTaskGroup(of: Void.self) { watching in
                        watching.addTask { await watcher.watch { continuation.yield($0) } }
                        watching.addTask { await shutdown.wait() }
                        await watching.next()
                        watching.cancelAll()
                    }
                    continuation.finish()
                }
                group.addTask {
                    do {
                        try await loop.run(states: states)
                    } catch {
                        logger.critical("[\(loop.trigger)] \(error); stopping the agent")
                        shutdown.fire()
                        throw error
                    }
                }
                try await group.waitForAll()
            }
        } onGracefulShutdown: {
            if !shutdown.isFired {
                logger.notice(
                    "[\(loop.trigger)] stopping; a running step gets \(DurationParser.format(grace))")
            }
            shutdown.fire()
        }
    }
}
