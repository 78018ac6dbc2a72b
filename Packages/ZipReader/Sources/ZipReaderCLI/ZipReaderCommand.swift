import ZipReader

/// The `zipreader` command: `list`, `test` and `extract`, with exit codes 0 (success) and 1 (failure, with
/// a one-line reason on standard error).
public enum ZipReaderCommand {
    /// The usage text printed for `--help` and for wrong arguments.
    public static let usage = """
        usage: zipreader list ARCHIVE
               zipreader test ARCHIVE
               zipreader extract ARCHIVE DEST [--overwrite] [--max-bytes N] [--max-ratio N]
        """

    /// Runs the command for `arguments` (without the program name); returns the exit status.
    ///
    /// Output lines go to `output`, the failure reason to `report` (standard error).
    public static func run(
        _ arguments: [String], output: (String) -> Void, error report: (String) -> Void
    ) -> Int32 {
        do {
            return try execute(arguments, output: output)
        } catch let failure as ZipError {
            report("zipreader: \(failure)")
        } catch let failure as UsageError {
            report("zipreader: \(failure.message)\n\(usage)")
        } catch {
            report("zipreader: \(error)")
        }
        return 1
    }

    struct UsageError: Error {
        let message: String
    }

    private static func execute(_ arguments: [String], output: (String) -> Void) throws -> Int32 {
        guard let command = arguments.first else { throw UsageError(message: "missing command") }
        var rest = Array(arguments.dropFirst())
        switch command {
        case "-h", "--help", "help":
            output(usage)
            return 0
        case "list":
            guard rest.count == 1 else { throw UsageError(message: "list takes one archive") }
            let archive = try ZipArchive(path: rest[0])
            output(
                pad("Length", 12) + "  " + pad("Compressed", 12) + "  " + pad("Method", 10)
                    + "  CRC-32    Mode        Name")
            var total: UInt64 = 0
            for entry in archive.entries {
                total =
                    total.addingReportingOverflow(entry.uncompressedSize).overflow
                    ? .max : total + entry.uncompressedSize
                let kind = entry.isDirectory ? "d" : entry.isSymlink ? "l" : "-"
                output(
                    pad(String(entry.uncompressedSize), 12) + "  " + pad(String(entry.compressedSize), 12) + "  "
                        + pad(methodName(entry), 10) + "  " + hex(entry.crc32) + "  " + kind
                        + octal(entry.permissions) + "       " + entry.name)
            }
            output("\(archive.entries.count) entries, \(total) bytes")
            return 0
        case "test":
            guard rest.count == 1 else { throw UsageError(message: "test takes one archive") }
            let archive = try ZipArchive(path: rest[0])
            let bytes = try archive.test()
            output("OK: \(archive.entries.count) entries, \(bytes) bytes checked")
            return 0
        case "extract":
            var options = ExtractionOptions()
            var positional: [String] = []
            while !rest.isEmpty {
                let word = rest.removeFirst()
                switch word {
                case "--overwrite", "-o":
                    options.overwrite = true
                case "--max-bytes", "--max-ratio":
                    guard let value = rest.first.flatMap({ UInt64($0) }) else {
                        throw UsageError(message: "\(word) needs a number")
                    }
                    rest.removeFirst()
                    if word == "--max-bytes" { options.maxTotalBytes = value } else { options.maxRatio = value }
                default:
                    if word.hasPrefix("-") && word.count > 1 { throw UsageError(message: "unknown option \(word)") }
                    positional.append(word)
                }
            }
            guard positional.count == 2 else { throw UsageError(message: "extract takes an archive and a destination") }
            let archive = try ZipArchive(path: positional[0], maxEntries: options.maxEntries)
            let summary = try archive.extractAll(to: positional[1], options: options)
            output(
                "extracted \(summary.files) files, \(summary.symlinks) symbolic links, \(summary.directories) new directories, \(summary.bytes) bytes"
            )
            return 0
        default:
            throw UsageError(message: "unknown command \(command)")
        }
    }

    private static func methodName(_ entry: ZipEntry) -> String {
        switch entry.method {
        case .stored: return entry.isEncrypted ? "stored*" : "stored"
        case .deflate: return entry.isEncrypted ? "deflate*" : "deflate"
        default: return "m\(entry.method.rawValue)"
        }
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    private static func octal(_ value: UInt32) -> String {
        let digits = String(value, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
