import Logging
import ServiceLifecycle

/// One watched trigger as a `Service`: its watcher feeds the trigger loop, which runs the script for each new count.
///
/// On graceful shutdown it stops watching; the loop starts no new run, and a running step gets the configured
/// grace period before its process group is terminated (all three see the shutdown through the task-local
/// graceful-shutdown context the `ServiceGroup` gives this service). The service returns once the loop has
/// finished.
struct TriggerService: Service {
    let watcher: TriggerWatcher
    let loop: TriggerLoop
    let grace: Duration
    let logger: Logger

    func run() async throws {
        let (states, continuation) = AsyncStream.makeStream(of: PollResult.self, bufferingPolicy: .bufferingNewest(1))
        let watcher = self.watcher
        let loop = self.loop
        let logger = self.logger
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Watching ends at shutdown; the loop then drains and returns.
                    await cancelWhenGracefulShutdown { await watcher.watch { continuation.yield($0) } }
                    continuation.finish()
                }
                group.addTask {
                    do {
                        try await loop.run(states: states)
                    } catch {
                        // Throwing ends the group, which cancels the watcher; the ServiceGroup then shuts the
                        // other services down gracefully.
                        logger.critical("[\(loop.trigger)] \(error); stopping the agent")
                        throw error
                    }
                }
                try await group.waitForAll()
            }
        } onGracefulShutdown: { [grace] in
            logger.notice("[\(loop.trigger)] stopping; a running step gets \(DurationParser.format(grace))")
        }
    }
}
