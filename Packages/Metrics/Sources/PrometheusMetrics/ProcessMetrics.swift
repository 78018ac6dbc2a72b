#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The standard `process_*` metrics, read from /proc/self at every scrape (Linux; nothing elsewhere).
struct ProcessMetrics: MetricCollector {
    static let collectorName = "process_"

    var name: String { Self.collectorName }
    var signature: CollectorSignature { .init(type: .untyped, help: "process metrics", labelNames: []) }

    func render(into out: inout String) {
        guard let snapshot = ProcessSnapshot.read() else { return }
        for (name, help, type, value) in snapshot.families {
            Exposition.appendHeader(name: name, help: help, type: type, to: &out)
            out += name
            out += " "
            out += Exposition.formatValue(value)
            out += "\n"
        }
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
        guard let close = text.lastIndex(of: ")") else { return nil }
        let rest = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // rest[0] is field 3 (state); field N is rest[N - 3].
        guard rest.count >= 22,
            let utime = Double(rest[11]), let stime = Double(rest[12]), let start = Double(rest[19]),
            let vsize = Double(rest[20]), let rss = Double(rest[21])
        else { return nil }
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

    static func read() -> ProcessSnapshot? {
        #if os(Linux)
            guard let statText = readSmallFile("/proc/self/stat"), let stat = parseStat(statText),
                let procStat = readSmallFile("/proc/stat"), let boot = parseBootTime(procStat)
            else { return nil }
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

    /// Reads a /proc file (whose stat size is 0) until end of file.
    static func readSmallFile(_ path: String) -> String? {
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
