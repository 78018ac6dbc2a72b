/// Pure least-recently-used choice of entries to evict.
enum EvictionPlanner {
    /// One candidate: its key, stored size, and access order (smaller is older).
    struct Candidate: Sendable, Hashable {
        var key: String
        var storedSize: Int64
        var lastUse: UInt64
    }

    /// The keys to remove, oldest first, so the rest fits `budget`; keys in `protected` are never chosen.
    static func victims(_ candidates: [Candidate], budget: Int64, protected: Set<String> = []) -> [String] {
        var total = candidates.reduce(Int64(0)) { $0 + $1.storedSize }
        guard total > budget else { return [] }
        var result: [String] = []
        for candidate in candidates.sorted(by: { $0.lastUse < $1.lastUse }) where !protected.contains(candidate.key) {
            if total <= budget { break }
            result.append(candidate.key)
            total -= candidate.storedSize
        }
        return result
    }
}
