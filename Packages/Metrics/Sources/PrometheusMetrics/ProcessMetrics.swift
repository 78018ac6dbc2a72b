import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The standard `process_*` metrics, read from /proc/self (Linux; nothing elsewhere).
///
/// A scrape reuses the text rendered from a reading at most ``maximumAge`` old: reading /proc (a stat file and the
/// descriptor directory) was most of a small registry's rendering time, and a server answering many scrapes a
/// second gains nothing from reading it more often than a scraper could tell apart. Every other family of the
/// registry is read at each scrape.
final class ProcessMetrics: MetricCollector {
    static let collectorName = "process_"
    /// How old a reading may be when a scrape reuses it.
    let maximumAge: Duration

    init(maximumAge: Duration = .milliseconds(100)) {
        self.maximumAge = maximumAge
    }

    private let cached = Mutex<(text: String, at: ContinuousClock.Instant)?>(nil)

    var name: String { Self.collectorName }
    var signature: CollectorSignature { .init(type: .untyped, help: "process metrics", labelNames: []) }

    func render(into out: inout String) {
        let now = ContinuousClock.now
        if let entry = cached.withLock({ $0 }), now - entry.at < maximumAge {
            out += entry.text
            return
        }
        guard let snapshot = ProcessSnapshot.read() else { return }
        let text = Self.text(of: snapshot)
        cached.withLock { $0 = (text, now) }
        out += text
    }

    static func text(of snapshot: ProcessSnapshot) -> String {
        var out = ""
        for (name, help, type, value) in snapshot.families {
            Exposition.appendHeader(name: name, help: help, type: type, to: &out)
            out += name
            out += " "
            out += Exposition.formatValue(value)
            out += "\n"
        }
        return out
    }
}

/// What /proc says about this process, and the pure parsers behind it (tested with fixed text).
struct ProcessSnapshot: Equatable {
    var cpuSeconds: Double
    var residentBytes: Double
    var virtualBytes: Double
    var openFDs: Double
    var maxFDs: Double
    var startTimeSeconds: Double

    /// The families in name order, as rendered.
    var families: [(String, String, MetricType, Double)] {
        [
            ("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", .counter, cpuSeconds),
            ("process_max_fds", "Maximum number of open file descriptors.", .gauge, maxFDs),
            ("process_open_fds", "Number of open file descriptors.", .gauge, openFDs),
            ("process_resident_memory_bytes", "Resident memory size in bytes.", .gauge, residentBytes),
            (
                "process_start_time_seconds", "Start time of the process since unix epoch in seconds.", .gauge,
                startTimeSeconds
            ),
            ("process_virtual_memory_bytes", "Virtual memory size in bytes.", .gauge, virtualBytes),
        ]
    }

    /// Fields of /proc/self/stat that matter here.
    struct Stat: Equatable {
        var utimeTicks: Double
        var stimeTicks: Double
        var startTicks: Double
        var virtualBytes: Double
        var residentPages: Double
    }

    /// Parses /proc/[pid]/stat. The command name (field 2) may hold spaces and parentheses, so fields are
    /// counted from the last `)`.
    static func parseStat(_ text: String) -> Stat? {
        var text = text
        return text.withUTF8 { parseStat(bytes: $0) }
    }

    /// ``parseStat(_:)`` on the file's bytes, field by field without making strings.
    static func parseStat(bytes: UnsafeBufferPointer<UInt8>) -> Stat? {
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        // Fields after the command name, numbered from 3 (state); the ones wanted are 14, 15, 22, 23 and 24.
        var utime: Double?
        var stime: Double?
        var start: Double?
        var vsize: Double?
        var rss: Double?
        var field = 2
        var index = close + 1
        while index < bytes.count, field < 24 {
            while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\n") {
                index += 1
            }
            guard index < bytes.count else { break }
            field += 1
            let first = index
            while index < bytes.count, bytes[index] != UInt8(ascii: " "), bytes[index] != UInt8(ascii: "\n") {
                index += 1
            }
            func value() -> Double? {
                Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[first..<index]), as: UTF8.self))
            }
            switch field {
            case 14: utime = value()
            case 15: stime = value()
            case 22: start = value()
            case 23: vsize = value()
            case 24: rss = value()
            default: continue
            }
        }
        guard let utime, let stime, let start, let vsize, let rss else { return nil }
        return Stat(utimeTicks: utime, stimeTicks: stime, startTicks: start, virtualBytes: vsize, residentPages: rss)
    }

    /// The boot time (`btime`, seconds since the epoch) from /proc/stat.
    static func parseBootTime(_ text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingPrefix(" "))
        }
        return nil
    }

    /// Combines parsed /proc values with the clock tick rate and page size.
    static func make(
        stat: Stat, bootTime: Double, ticksPerSecond: Double, pageSize: Double, openFDs: Double, maxFDs: Double
    ) -> ProcessSnapshot {
        ProcessSnapshot(
            cpuSeconds: (stat.utimeTicks + stat.stimeTicks) / ticksPerSecond,
            residentBytes: stat.residentPages * pageSize,
            virtualBytes: stat.virtualBytes,
            openFDs: openFDs,
            maxFDs: maxFDs,
            startTimeSeconds: bootTime + stat.startTicks / ticksPerSecond)
    }

    /// The boot time, read once: it does not change while the process runs.
    static let bootTime: Double? = ProcFile.read("/proc/stat").flatMap(parseBootTime)

    static func read() -> ProcessSnapshot? {
        #if os(Linux)
            guard let boot = bootTime, let stat = readStat() else { return nil }
            let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
            let page = Double(sysconf(Int32(_SC_PAGESIZE)))
            var limit = rlimit()
            let maxFDs =
                getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 ? Double(limit.rlim_cur) : -1
            return make(
                stat: stat, bootTime: boot, ticksPerSecond: ticks > 0 ? ticks : 100, pageSize: page,
                openFDs: Double(countOpenFDs()), maxFDs: maxFDs)
        #else
            return nil
        #endif
    }

    /// /proc/self/stat, read into a stack buffer and parsed in place (the line is well under 1 KiB).
    static func readStat() -> Stat? {
        let fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2048) { buffer -> Stat? in
            var count = 0
            while count < buffer.count {
                let got = Glibc.read(fd, buffer.baseAddress! + count, buffer.count - count)
                if got < 0 && errno == EINTR { continue }
                if got <= 0 { break }
                count += got
            }
            return parseStat(bytes: UnsafeBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// Entries of /proc/self/fd, without `.`/`..` and without the descriptor used to list them.
    static func countOpenFDs() -> Int {
        guard let dir = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(dir) }
        var count = 0
        while let entry = readdir(dir) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { $0.first == UInt8(ascii: ".") }
            if !isDot { count += 1 }
        }
        return max(0, count - 1)
    }
}

/// Reads files under /proc, whose size `stat` gives as 0, whole.
public enum ProcFile {
    /// The text of `path`, read until end of file; nil if it cannot be opened.
    public static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
