#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Per-trigger state files under a directory (`PROSTAGMA_STATE`), one JSON file per trigger
/// (`<trigger>.json`), replaced atomically: written to a temporary file, fsynced, renamed, directory fsynced.
public struct StateStore: Sendable {
    /// The state directory.
    public let directory: String

    /// A store in `directory`, created (with parents) if missing.
    public init(directory: String) throws {
        self.directory = directory
        try FileSystem.createDirectories(directory)
    }

    /// The state file for `trigger`.
    public func path(for trigger: String) throws -> String { directory + "/" + (try Self.fileName(trigger)) + ".json" }

    /// `trigger` as a file name in a state folder; throws unless it is a trigger name, so no name (`..`, `a/b`)
    /// can reach outside the folder, whoever passes it.
    static func fileName(_ trigger: String) throws -> String {
        do throws(ProtocolError) {
            try TriggerName.validate(trigger)
        } catch {
            throw AgentError.configuration("no state file for `\(trigger)`: \(error)")
        }
        return trigger
    }

    /// The remembered state of `trigger`, or nil if there is none (first start).
    public func load(_ trigger: String) throws -> HandledState? {
        let file = try path(for: trigger)
        guard let data = try FileSystem.readIfExists(file) else { return nil }
        do {
            return try JSONDecoder().decode(HandledState.self, from: data)
        } catch {
            throw AgentError.io("\(file): unreadable state file (\(error)); delete it to start afresh")
        }
    }

    /// Takes an exclusive lock on `trigger` in this directory (`<trigger>.lock`, `flock`) for as long as
    /// the returned descriptor stays open, so two agents sharing a state directory cannot both handle
    /// one trigger. Throws when another process (or another lock in this one) holds it.
    public func lock(_ trigger: String) throws -> Int32 {
        let file = directory + "/" + (try Self.fileName(trigger)) + ".lock"
        let fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 { throw AgentError.io("\(file): cannot open: \(FileSystem.errorText())") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let reason =
                errno == EWOULDBLOCK
                ? "another agent already watches `\(trigger)` with this state directory" : FileSystem.errorText()
            close(fd)
            throw AgentError.io("\(file): \(reason)")
        }
        return fd
    }

    /// `load(_:)` on a thread of its own, so the watching task's cooperative thread never waits on the disk.
    public func read(_ trigger: String) async throws -> HandledState? {
        try await BlockingThread.run { _ in try load(trigger) }
    }

    /// `save(_:)` (write, fsync, rename, fsync the folder) on a thread of its own, off the cooperative pool.
    /// Returns once the state is durable.
    public func write(_ state: HandledState) async throws {
        try await BlockingThread.run { _ in try save(state) }
    }

    /// Remembers `state` durably.
    public func save(_ state: HandledState) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = try encoder.encode(state)
        data.append(0x0A)
        try FileSystem.writeAtomically(data, to: try path(for: state.trigger))
    }
}
