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

/// Run reports not yet accepted by the server, one JSON file per run under
/// `<state>/outbox/<trigger>/`, so a report survives the server being down and the agent restarting.
///
/// A report is written (atomically) before the first attempt to send it and removed once the server has
/// accepted it; the server stores a report sent twice with the same id once, so a retry after a lost
/// answer is harmless. The outbox keeps at most `capacity` reports, dropping the oldest beyond that.
public struct ReportOutbox: Sendable {
    /// The folder of this trigger's pending reports.
    public let directory: String
    /// How many pending reports are kept at most.
    public let capacity: Int

    /// The outbox of `trigger` under the state directory `stateDirectory` (created if missing).
    public init(stateDirectory: String, trigger: String, capacity: Int = 500) throws {
        precondition(capacity > 0, "capacity must be positive")
        self.directory = stateDirectory + "/outbox/" + (try StateStore.fileName(trigger))
        self.capacity = capacity
        try FileSystem.createDirectories(directory)
    }

    /// `add(_:)` on a thread of its own, so the watching task's cooperative thread never waits on the disk.
    @discardableResult
    public func keep(_ report: RunReport) async throws -> [String] {
        try await BlockingThread.run { _ in try add(report) }
    }

    /// Keeps `report` until it is delivered; returns the ids of reports dropped to stay within capacity.
    @discardableResult
    public func add(_ report: RunReport) throws -> [String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // The sequence number in the name keeps delivery in the order runs finished.
        let micros = String(UInt64(max(0, Date().timeIntervalSince1970) * 1_000_000))
        // The id is the agent's own UUID; only its safe characters reach the file name, so no id can leave the folder.
        let id = String(
            (report.id ?? "run").unicodeScalars.filter {
                $0.isASCII && ($0 == "-" || $0.properties.isAlphabetic || ("0"..."9").contains($0))
            }.prefix(64))
        let name = String(repeating: "0", count: max(0, 20 - micros.count)) + micros + "-" + id
        try FileSystem.writeAtomically(try encoder.encode(report), to: directory + "/" + name + ".json")
        var files = try pendingFiles()
        var dropped: [String] = []
        while files.count > capacity {
            let oldest = files.removeFirst()
            unlink(directory + "/" + oldest)
            dropped.append(Self.runID(ofFile: oldest))
        }
        return dropped
    }

    /// The pending reports' file names, oldest first.
    public func pendingFiles() throws -> [String] {
        guard let dir = opendir(directory) else {
            throw AgentError.io("\(directory): cannot list the pending run reports: \(FileSystem.errorText())")
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            // Temporary files of an interrupted write are not reports.
            if name.hasSuffix(".json") && !name.hasPrefix(".") { names.append(name) }
        }
        return names.sorted()
    }

    /// True when no report is waiting.
    public var isEmpty: Bool { (try? pendingFiles().isEmpty) ?? true }

    /// What one delivery pass did.
    public struct Delivery: Sendable, Equatable {
        /// Ids of the reports the server accepted.
        public var delivered: [String] = []
        /// Ids of reports the server refused for good (4xx), with its answer; they are not retried.
        public var refused: [(id: String, reason: String)] = []
        /// Why the pass stopped early (server unreachable, 5xx): the rest is retried later.
        public var failure: String?

        public static func == (a: Delivery, b: Delivery) -> Bool {
            a.delivered == b.delivered && a.failure == b.failure
                && a.refused.map(\.id) == b.refused.map(\.id) && a.refused.map(\.reason) == b.refused.map(\.reason)
        }
    }

    /// Sends the pending reports oldest first, removing each one the server accepts or refuses for good;
    /// stops at the first failure that a retry could fix.
    public func deliver(through reporter: any RunReporting) async -> Delivery {
        var result = Delivery()
        let files: [String]
        do {
            files = try await BlockingThread.run { _ in try pendingFiles() }
        } catch {
            result.failure = "\(error)"
            return result
        }
        for file in files {
            let path = directory + "/" + file
            let report: RunReport
            do {
                let bytes = try await BlockingThread.run { _ in try FileSystem.read(path) }
                report = try JSONDecoder().decode(RunReport.self, from: bytes)
            } catch {
                // A file that cannot be read back would block every later report: set it aside.
                rename(path, path + ".unreadable")
                result.refused.append((Self.runID(ofFile: file), "unreadable report file \(path): \(error)"))
                continue
            }
            do {
                try await reporter.report(report)
                unlink(path)
                result.delivered.append(report.id ?? "")
            } catch let error as AgentError where error.isRefusedByServer {
                unlink(path)
                result.refused.append((report.id ?? "", error.message))
            } catch {
                result.failure = "\(error)"
                return result
            }
        }
        return result
    }

    static func runID(ofFile name: String) -> String {
        var base = Substring(name)
        if base.hasSuffix(".json") { base = base.dropLast(5) }
        if let dash = base.firstIndex(of: "-") { base = base[base.index(after: dash)...] }
        return String(base)
    }
}
