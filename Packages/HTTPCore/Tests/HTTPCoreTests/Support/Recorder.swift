import Synchronization

/// Collects strings from concurrent code for assertions.
final class Recorder: Sendable {
    private let storage = Mutex<[String]>([])

    func record(_ entry: String) {
        storage.withLock { $0.append(entry) }
    }

    var entries: [String] { storage.withLock { $0 } }
}

/// A counter shared with concurrent code.
final class Counter: Sendable {
    private let count = Atomic<Int>(0)

    func increment() {
        count.add(1, ordering: .relaxed)
    }

    var value: Int { count.load(ordering: .relaxed) }
}
