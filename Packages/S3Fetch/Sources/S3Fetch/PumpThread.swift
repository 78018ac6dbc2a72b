import Foundation

/// A dedicated OS thread for the blocking side of one CLI run (a thin wrapper so the rest of the package
/// needs nothing from Foundation).
struct PumpThread {
    private let thread: Thread

    init(_ body: @escaping @Sendable () -> Void) {
        thread = Thread(block: body)
        thread.name = "S3Fetch.OutputPump"
        thread.stackSize = 256 * 1024
    }

    func start() {
        thread.start()
    }
}
