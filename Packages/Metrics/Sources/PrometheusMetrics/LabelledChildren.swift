import Synchronization

/// The children of one labelled family, keyed by label values, created on first use.
///
/// Only ``child(for:make:)`` takes the lock; callers keep the returned handle for the hot path. The sorted
/// order is cached between scrapes and recomputed only after a series was added or removed: sorting
/// thousands of label tuples was most of the rendering time.
final class LabelledChildren<Child: AnyObject & Sendable>: Sendable {
    private struct State {
        var children: [[String]: Child] = [:]
        var sorted: [Child]? = []
        /// Bumped by every insertion and removal, so a sort finished outside the lock is cached only if
        /// nothing changed meanwhile.
        var generation = 0
    }

    private let state = Mutex(State())

    func child(for values: [String], make: () -> Child) -> Child {
        state.withLock { state in
            if let existing = state.children[values] { return existing }
            let created = make()
            state.children[values] = created
            state.sorted = nil
            state.generation &+= 1
            return created
        }
    }

    func remove(_ values: [String]) {
        state.withLock { state in
            if state.children.removeValue(forKey: values) != nil {
                state.sorted = nil
                state.generation &+= 1
            }
        }
    }

    /// The children ordered by their label values (byte order), so output is deterministic.
    func sorted() -> [Child] {
        if let cached = state.withLock({ $0.sorted }) { return cached }
        let (pairs, generation) = state.withLock { (Array($0.children), $0.generation) }
        let ordered = pairs.sorted { lexicographicallyPrecedes($0.key, $1.key) }.map(\.value)
        state.withLock { state in
            if state.generation == generation { state.sorted = ordered }
        }
        return ordered
    }

    var isEmpty: Bool {
        state.withLock { $0.children.isEmpty }
    }
}

/// Byte-wise order of label tuples (independent of locale and Unicode normalisation).
func lexicographicallyPrecedes(_ lhs: [String], _ rhs: [String]) -> Bool {
    for index in 0..<min(lhs.count, rhs.count) {
        let order = compareBytes(lhs[index], rhs[index])
        if order != 0 { return order < 0 }
    }
    return lhs.count < rhs.count
}

/// -1, 0 or 1 as `lhs` sorts before, equal to or after `rhs` by UTF-8 bytes (a plain loop over contiguous
/// storage: the generic `utf8.lexicographicallyPrecedes` was most of the cost of sorting 10,000 series).
func compareBytes(_ lhs: String, _ rhs: String) -> Int {
    var lhs = lhs
    var rhs = rhs
    return lhs.withUTF8 { left in
        rhs.withUTF8 { right in
            let common = min(left.count, right.count)
            var index = 0
            while index < common {
                let a = left[index]
                let b = right[index]
                if a != b { return a < b ? -1 : 1 }
                index += 1
            }
            return left.count == right.count ? 0 : (left.count < right.count ? -1 : 1)
        }
    }
}
