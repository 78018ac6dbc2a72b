import Synchronization

/// The children of one labelled family, keyed by label values, created on first use.
///
/// Only ``child(for:make:)`` takes the lock; callers keep the returned handle for the hot path.
final class LabelledChildren<Child: AnyObject & Sendable>: Sendable {
    private let children = Mutex<[[String]: Child]>([:])

    func child(for values: [String], make: () -> Child) -> Child {
        children.withLock { children in
            if let existing = children[values] { return existing }
            let created = make()
            children[values] = created
            return created
        }
    }

    func remove(_ values: [String]) {
        _ = children.withLock { $0.removeValue(forKey: values) }
    }

    /// The children ordered by their label values, so output is deterministic.
    func sorted() -> [Child] {
        let pairs = children.withLock { Array($0) }
        return pairs.sorted { lexicographicallyPrecedes($0.key, $1.key) }.map(\.value)
    }

    var isEmpty: Bool {
        children.withLock { $0.isEmpty }
    }
}

func lexicographicallyPrecedes(_ lhs: [String], _ rhs: [String]) -> Bool {
    lhs.lexicographicallyPrecedes(rhs) { $0.utf8.lexicographicallyPrecedes($1.utf8) }
}
