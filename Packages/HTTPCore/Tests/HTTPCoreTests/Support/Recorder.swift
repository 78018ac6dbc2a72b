import Synchronization

/// Collects strings from concurrent code for assertions.
final class Recorder: Sendable {
    private let storage = Mutex<[String]>([])

    func record(_ entry: String) {
        storage.withLock { $0.append(entry) }
    }

    var entries: [String] { storage.withLock { $0 } }
}
