import PrometheusMetrics
import Testing

@testable import AgentCore

#if canImport(Glibc)
    import Glibc
#endif

@Suite(.timeLimit(.minutes(1))) struct StartupPagesTests {
    static let exe = "/usr/local/bin/prostagma-agent"

    /// The shape of /proc/PID/smaps (fields trimmed to the ones read), as lld lays out the agent: read-only data,
    /// text, RELRO (relocated, then read-only), data; and a library.
    static let smaps = """
        55d0a0000000-55d0a0180000 r--p 00000000 fe:01 123 \(exe)
        Size:               1536 kB
        Rss:                1400 kB
        Anonymous:             0 kB
        55d0a0180000-55d0a0c00000 r-xp 00180000 fe:01 123 \(exe)
        Size:              10752 kB
        Anonymous:             0 kB
        55d0a0c00000-55d0a0d00000 r--p 00c00000 fe:01 123 \(exe)
        Size:               1024 kB
        Anonymous:           612 kB
        55d0a0d00000-55d0a0d40000 rw-p 00d00000 fe:01 123 \(exe)
        Size:                256 kB
        Anonymous:             0 kB
        7f1e00000000-7f1e00180000 r-xp 00000000 fe:01 77 /usr/lib/x86_64-linux-gnu/libc.so.6
        Anonymous:             0 kB
        7f1e00200000-7f1e00201000 r--p 00000000 fe:01 124 \(exe) (deleted)
        Anonymous:             0 kB
        7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]
        Anonymous:           132 kB
        """

    @Test func onlyTheBinarysReadOnlyMappingsWithoutPrivatePagesAreReleased() {
        let ranges = StartupPages.releasable(smaps: Self.smaps, executable: Self.exe)
        #expect(ranges == [0x55d0_a000_0000..<0x55d0_a018_0000, 0x55d0_a018_0000..<0x55d0_a0c0_0000])
    }

    @Test func aMappingWithoutAnAnonymousLineIsKept() {
        let smaps = "55d0a0000000-55d0a0180000 r-xp 00000000 fe:01 123 \(Self.exe)\nSize: 1536 kB\n"
        #expect(StartupPages.releasable(smaps: smaps, executable: Self.exe).isEmpty)
    }

    /// In this very process: the test binary's own read-only pages leave its resident set, and its code and data
    /// still work afterwards (the pages fault back in from the page cache).
    @Test func releasingInThisProcessShrinksItsResidentFilePagesAndKeepsItRunning() throws {
        #if os(Linux)
            let before = Self.residentFileKiB()
            let released = StartupPages.release()
            let after = Self.residentFileKiB()
            #expect(released > 0)
            #expect(before > 0 && after > 0)
            #expect(after < before, "RssFile \(before) kB before, \(after) kB after releasing \(released) bytes")
            // Code that ran before runs again.
            #expect(StartupPages.releasable(smaps: Self.smaps, executable: Self.exe).count == 2)
        #endif
    }

    static func residentFileKiB() -> Int {
        guard let status = ProcFile.read("/proc/self/status") else { return -1 }
        let line = status.split(separator: "\n").first { $0.hasPrefix("RssFile:") }
        return line.flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") }
            ?? -1
    }
}
