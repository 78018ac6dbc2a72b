import Foundation
import Testing

@testable import ZipReader

/// Where the shared corpus lives: `<repo>/../shared/corpus/zip`, found from this file's path.
enum Corpus {
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let zip = repoRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus/zip")
    static let goTestdata = zip.appendingPathComponent("go-testdata")

    static func path(_ name: String) -> String { goTestdata.appendingPathComponent(name).path }
}

/// A fresh directory under the system's temporary folder, removed by `remove()`.
struct TempDirectory {
    let url: URL
    var path: String { url.path }

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("zipreader-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func sub(_ name: String) -> String { url.appendingPathComponent(name).path }

    func write(_ bytes: [UInt8], to name: String) throws -> String {
        let file = sub(name)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }

    func remove() {
        // Directories without write permission (from archives) must be opened up first.
        _ = try? Shell.run("/bin/chmod", ["-R", "u+rwx", path])
        try? FileManager.default.removeItem(at: url)
    }
}

/// What a directory tree holds, for comparing two extractions file by file.
struct TreeSnapshot: Equatable, CustomStringConvertible {
    enum Node: Equatable {
        case directory(mode: UInt16)
        case file(mode: UInt16, bytes: [UInt8])
        case symlink(target: String)
    }

    var nodes: [String: Node] = [:]

    init(_ root: String) throws {
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: root) else { return }
        while let relative = walker.nextObject() as? String {
            let full = root + "/" + relative
            var info = stat()
            guard lstat(full, &info) == 0 else { continue }
            let mode = UInt16(info.st_mode & 0o7777)
            switch info.st_mode & S_IFMT {
            case S_IFDIR: nodes[relative] = .directory(mode: mode)
            case S_IFLNK: nodes[relative] = .symlink(target: try fm.destinationOfSymbolicLink(atPath: full))
            default: nodes[relative] = .file(mode: mode, bytes: Array(try Data(contentsOf: URL(fileURLWithPath: full))))
            }
        }
    }

    var description: String {
        nodes.keys.sorted().map { key in
            switch nodes[key]! {
            case .directory(let mode): return "d \(String(mode, radix: 8)) \(key)"
            case .file(let mode, let bytes): return "- \(String(mode, radix: 8)) \(key) (\(bytes.count) bytes)"
            case .symlink(let target): return "l \(key) -> \(target)"
            }
        }.joined(separator: "\n")
    }
}

/// Runs external tools (Info-ZIP, 7z, python3) for conformance tests.
enum Shell {
    struct Result {
        let status: Int32
        let output: String
    }

    @discardableResult
    static func run(_ tool: String, _ arguments: [String], in directory: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    static func exists(_ tool: String) -> Bool { FileManager.default.isExecutableFile(atPath: tool) }

    static let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first(where: exists) ?? "/usr/bin/env"
}

extension ZipArchive {
    /// The entry's whole data as text.
    func text(_ name: String) throws -> String {
        let found = try #require(self.entry(named: name))
        return String(decoding: try data(for: found), as: UTF8.self)
    }
}

/// Runs `body` and returns the `ZipError` it throws (failing the test when it throws none or another error).
func zipError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> ZipError? {
    do {
        try body()
        Issue.record("expected a ZipError, got success", sourceLocation: sourceLocation)
    } catch let error as ZipError {
        return error
    } catch {
        Issue.record("expected a ZipError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
