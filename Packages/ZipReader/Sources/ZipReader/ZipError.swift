/// Everything that can go wrong reading or extracting a zip archive.
///
/// The description names the archive (when known), the entry (when one is concerned) and the problem, on
/// one line: `app.zip: entry "../etc/passwd": unsafe: the name has a ".." component`.
public struct ZipError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The family of a failure, for callers that react differently to each.
    public enum Kind: String, Sendable, Hashable {
        /// The file is not a zip archive (no end-of-central-directory record).
        case notAZip
        /// The archive's structures are damaged, truncated or inconsistent (including sizes that lie).
        case corrupt
        /// A valid feature this reader does not implement: encryption, bzip2, LZMA, deflate64, multi-disk, ...
        case unsupported
        /// An entry would land outside the destination, or write through a symbolic link.
        case unsafe
        /// Extraction would exceed a limit of `ExtractionOptions` (total bytes, ratio, entry count).
        case limitExceeded
        /// An entry's data does not match its CRC-32.
        case checksumMismatch
        /// A file to be written exists already and overwriting was not asked for, or is in the way.
        case exists
        /// The operating system refused a read or a write.
        case io
        /// The caller asked the extraction to stop; what it had changed was undone.
        case cancelled
    }

    /// The family of the failure.
    public let kind: Kind
    /// The archive's path (nil for archives read from memory).
    public internal(set) var archive: String?
    /// The entry's name as stored in the archive, when the failure concerns one entry.
    public let entry: String?
    /// What went wrong, in words.
    public let reason: String

    init(_ kind: Kind, entry: String? = nil, _ reason: String) {
        self.kind = kind
        self.entry = entry
        self.reason = reason
    }

    /// One line: archive, entry and reason, with control characters in names escaped.
    public var description: String {
        var text = ""
        if let archive { text += "\(ZipError.printable(archive)): " }
        if let entry { text += "entry \"\(ZipError.printable(entry))\": " }
        return text + reason
    }

    func inArchive(_ path: String?) -> ZipError {
        var copy = self
        if copy.archive == nil { copy.archive = path }
        return copy
    }

    /// A name made safe for a one-line message: control characters become `\u{..}` escapes.
    static func printable(_ name: String) -> String {
        var out = ""
        for scalar in name.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F || scalar == "\"" || scalar == "\\" {
                out += scalar == "\"" ? "\\\"" : scalar == "\\" ? "\\\\" : "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
