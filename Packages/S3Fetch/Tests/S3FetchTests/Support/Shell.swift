import Foundation
import Synchronization

/// Runs a helper command (aws CLI for setup, sha256sum) and returns its status and output.
enum Shell {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Output
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes concurrently enough for small outputs: stderr after stdout is fine for setup tools.
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: String(decoding: stderrData, as: UTF8.self))
    }

    /// The first executable called `name` on this process's PATH.
    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":").map { "\($0)/\(name)" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// The aws CLI for tests: from PATH, but past a pyenv shim (a bash script that costs a second per call on
    /// a loaded machine) to the real entry point when there is one.
    static let aws: String = {
        guard let found = which("aws") else { return "/usr/local/bin/aws" }
        if found.contains("/.pyenv/shims/"), let pyenv = which("pyenv"),
            let output = try? run(pyenv, ["which", "aws"]), output.status == 0
        {
            let real = output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            if FileManager.default.isExecutableFile(atPath: real) { return real }
        }
        return found
    }()

    /// A fresh temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("s3fetch-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes an executable /bin/sh script (a fake aws CLI) and returns its path. Written through a
    /// close-on-exec descriptor: a plain write could leak the descriptor into a process another test spawns
    /// at that moment, and the script would then fail to start with ETXTBSY for as long as that one lives.
    static func script(_ body: String, in directory: URL, name: String = "fake-aws") throws -> String {
        let path = directory.appendingPathComponent(name).path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        guard fd >= 0 else { throw MotoError(message: "cannot write \(path)") }
        let bytes = Array(("#!/bin/sh\n" + body + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == bytes.count else { throw MotoError(message: "short write to \(path)") }
        return path
    }

    /// Polls `condition` until it holds or `timeout` passes; returns whether it held. For waiting on another
    /// process, which offers nothing to await.
    static func waitUntil(_ timeout: Duration, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    /// Waits up to 10 s for the process to be gone (or a zombie); false if it is still running then.
    static func dies(_ pid: Int32) async -> Bool {
        await waitUntil(.seconds(10)) { !isAlive(pid) }
    }

    /// The pid a fake CLI wrote to `path`; throws while the file is missing or not yet complete.
    static func readPID(_ path: String) throws -> Int32 {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard text.hasSuffix("\n"), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw MotoError(message: "no pid in \(path) yet")
        }
        return pid
    }

    /// The fields of /proc/PID/stat after the command name: state, ppid, pgrp, ...
    private static func statFields(_ pid: Int32) -> [Substring]? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ")
    }

    /// The process group of `pid`, or nil when it is gone.
    static func processGroup(of pid: Int32) -> Int32? {
        statFields(pid).flatMap { $0.count > 2 ? Int32($0[2]) : nil }
    }

    /// The processes of group `pgid` that still run (zombies are dead, only not yet reaped).
    static func liveMembers(ofGroup pgid: Int32) -> [Int32] {
        if kill(-pgid, 0) != 0 && errno == ESRCH { return [] }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let fields = statFields(pid), fields.count > 2 else { return false }
            return fields[0] != "Z" && Int32(fields[2]) == pgid
        }
    }

    /// A count shared between a test and the task it watches.
    final class Counter: Sendable {
        private let count = Mutex(0)
        var value: Int { count.withLock { $0 } }
        func add(_ amount: Int) { count.withLock { $0 += amount } }
    }

    /// Whether a process with this pid still exists (and is not a zombie).
    static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let fields = statFields(pid) else { return false }
        return fields.first != "Z"
    }
}
