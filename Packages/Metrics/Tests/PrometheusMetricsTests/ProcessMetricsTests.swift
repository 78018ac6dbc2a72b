import Testing

@testable import PrometheusMetrics

@Suite(.timeLimit(.minutes(2))) struct ProcessMetricsTests {
    // A command name with spaces and a parenthesis, as a process can set it.
    static let statLine =
        "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 8 0 123400 "
        + "104857600 2560 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 17 1 0 0 0 0 0\n"

    @Test func statParserCountsFieldsFromTheLastParenthesis() throws {
        let stat = try #require(ProcessSnapshot.parseStat(Self.statLine))
        #expect(stat.utimeTicks == 250)
        #expect(stat.stimeTicks == 50)
        #expect(stat.startTicks == 123_400)
        #expect(stat.virtualBytes == 104_857_600)
        #expect(stat.residentPages == 2560)
        #expect(ProcessSnapshot.parseStat("garbage") == nil)
    }

    @Test func bootTimeIsReadFromProcStat() {
        let text = "cpu  1 2 3\ncpu0 1 2 3\nintr 5\nctxt 9\nbtime 1700000000\nprocesses 3\n"
        #expect(ProcessSnapshot.parseBootTime(text) == 1_700_000_000)
        #expect(ProcessSnapshot.parseBootTime("cpu 1\n") == nil)
    }

    @Test func snapshotScalesTicksAndPages() throws {
        let stat = try #require(ProcessSnapshot.parseStat(Self.statLine))
        let snapshot = ProcessSnapshot.make(
            stat: stat, bootTime: 1_700_000_000, ticksPerSecond: 100, pageSize: 4096, openFDs: 7, maxFDs: 1024)
        #expect(snapshot.cpuSeconds == 3)
        #expect(snapshot.residentBytes == 10_485_760)
        #expect(snapshot.startTimeSeconds == 1_700_001_234)
    }

    @Test func liveProcessMetricsArePlausible() throws {
        let snapshot = try #require(ProcessSnapshot.read())
        #expect(snapshot.residentBytes > 1_000_000)
        #expect(snapshot.virtualBytes >= snapshot.residentBytes)
        #expect(snapshot.openFDs >= 3)
        #expect(snapshot.maxFDs >= snapshot.openFDs)
        #expect(snapshot.cpuSeconds >= 0)
        let now = Double(time(nil))
        #expect(snapshot.startTimeSeconds <= now + 1)
        #expect(snapshot.startTimeSeconds > now - 86_400)
    }

    /// The value of `process_open_fds` in one rendering.
    static func openFDs(_ collector: ProcessMetrics) -> String? {
        var text = ""
        collector.render(into: &text)
        return text.split(separator: "\n").first { $0.hasPrefix("process_open_fds ") }.map(String.init)
    }

    @Test func aReadingIsReusedUntilItIsTooOld() throws {
        let reused = ProcessMetrics(maximumAge: .seconds(3600))
        let fresh = ProcessMetrics(maximumAge: .zero)
        let before = try #require(Self.openFDs(reused))
        let freshBefore = try #require(Self.openFDs(fresh))
        let opened = (0..<5).map { _ in open("/dev/null", O_RDONLY) }
        defer { for fd in opened { close(fd) } }
        #expect(opened.allSatisfy { $0 >= 0 })
        // Five more descriptors: a reading made now sees them, the reused one does not.
        #expect(Self.openFDs(reused) == before)
        #expect(Self.openFDs(fresh) != freshBefore)
    }

    @Test func statParserReadsTheSameFieldsFromBytes() throws {
        var line = Self.statLine
        let stat = line.withUTF8 { ProcessSnapshot.parseStat(bytes: $0) }
        #expect(stat == ProcessSnapshot.parseStat(Self.statLine))
        #expect(stat?.residentPages == 2560)
        // Cut before field 24: no reading.
        #expect(ProcessSnapshot.parseStat("1 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20") == nil)
        #expect(ProcessSnapshot.parseStat("1 (x) S 1 2 3 4 5 6 7 8 9 10 11 zz 13 14 15 16 17 18 19 20 21 22") == nil)
    }

    @Test func registryRendersAllSixProcessFamilies() {
        let registry = MetricsRegistry()
        registry.registerProcessMetrics()
        registry.registerProcessMetrics()
        let text = registry.render()
        for name in [
            "process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
            "process_open_fds", "process_max_fds", "process_start_time_seconds",
        ] {
            #expect(text.components(separatedBy: "# TYPE \(name) ").count == 2, "\(name) once")
        }
        #expect(text.contains("# TYPE process_cpu_seconds_total counter\n"))
    }
}

#if canImport(Glibc)
    import Glibc
#endif
