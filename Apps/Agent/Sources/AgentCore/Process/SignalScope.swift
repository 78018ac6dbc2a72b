import UnixSignals

/// Traps SIGTERM and SIGINT while `body` runs, firing `stop` when one arrives.
enum SignalScope {
    static func run<T: Sendable>(stop: StopSignal, _ body: @escaping @Sendable () async -> T) async -> T {
        await withTaskGroup(of: T?.self) { group in
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
                    stop.fire()
                    break
                }
                return nil
            }
            group.addTask { await body() }
            var result: T?
            while let next = await group.next() {
                if let next {
                    result = next
                    group.cancelAll()
                }
            }
            return result!
        }
    }
}
