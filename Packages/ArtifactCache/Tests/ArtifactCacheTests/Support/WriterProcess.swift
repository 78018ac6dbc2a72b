import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The `artifact-cache-writer` executable built beside this test binary, run as a real child process.
final class WriterProcess {
    let process = Process()
    private let output = Pipe()
    private var pending = Data()

    /// Path of the writer binary: next to the running test executable (the build's products folder).
    static var executable: URL {
        let me = URL(
            fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0])
        return me.deletingLastPathComponent().appendingPathComponent("artifact-cache-writer")
    }

    init(_ arguments: [String]) throws {
        process.executableURL = Self.executable
        process.arguments = arguments
        process.standardOutput = output
        try process.run()
    }

    /// The next line the writer printed, or nil at its end of output. Blocks until it arrives.
    func readLine() -> String? {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                return line
            }
            let more = output.fileHandleForReading.availableData
            if more.isEmpty { return nil }
            pending.append(more)
        }
    }

    /// Reads lines until one starts with `prefix`; returns it (nil if the output ended first).
    func readLine(startingWith prefix: String) -> String? {
        while let line = readLine() {
            if line.hasPrefix(prefix) { return line }
        }
        return nil
    }

    /// Sends SIGKILL: no cleanup code runs in the child.
    func kill9() {
        kill(process.processIdentifier, SIGKILL)
    }

    /// Waits for exit; returns (terminated by a signal, status or signal number).
    func wait() -> (signaled: Bool, status: Int32) {
        process.waitUntilExit()
        return (process.terminationReason == .uncaughtSignal, process.terminationStatus)
    }
}
