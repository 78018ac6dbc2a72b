/// The checked list of what an extraction will create, built before anything is written.
///
/// Building it validates the whole central directory: supported methods, safe names, no entry twice, no
/// entry below a file or a symbolic link of the archive, symbolic links that resolve inside the
/// destination, limits, and entry data that neither overlaps other entries nor the central directory.
/// It does no file-system work: reading link targets and local headers comes in through closures.
struct ExtractionPlan {
    enum Kind: Equatable {
        case directory
        case file
        case symlink(target: String)
    }

    struct Item {
        let entry: ZipEntry
        let components: [String]
        let kind: Kind
        var path: String { components.joined(separator: "/") }
    }

    private(set) var items: [Item] = []
    private(set) var totalBytes: UInt64 = 0

    /// - Parameters:
    ///   - checkSupported: throws for encrypted entries and unknown methods.
    ///   - linkTarget: reads a symbolic link entry's target (small, CRC-checked).
    ///   - dataRange: the bytes an entry occupies (local header through compressed data).
    ///   - directoryStart: where the central directory begins; entry data must end before it.
    init(
        entries: [ZipEntry], options: ExtractionOptions, directoryStart: UInt64,
        checkSupported: (ZipEntry) throws -> Void,
        linkTarget: (ZipEntry) throws -> String,
        dataRange: (ZipEntry) throws -> Range<UInt64>
    ) throws {
        guard entries.count <= options.maxEntries else {
            throw ZipError(
                .limitExceeded, "the archive has \(entries.count) entries, over the limit of \(options.maxEntries)")
        }
        var kinds: [String: Kind] = [:]
        var links: [String: String] = [:]
        var ranges: [(Range<UInt64>, String)] = []
        ranges.reserveCapacity(entries.count)
        for entry in entries {
            let components = try EntryPath.components(of: entry)
            if components.isEmpty { continue }  // "./": the destination itself
            let path = components.joined(separator: "/")
            let kind: Kind
            if entry.isDirectory {
                kind = .directory
            } else {
                try checkSupported(entry)
                let (sum, overflow) = totalBytes.addingReportingOverflow(entry.uncompressedSize)
                guard !overflow, sum <= options.maxTotalBytes else {
                    throw ZipError(
                        .limitExceeded, entry: entry.name,
                        "the archive expands past the limit of \(options.maxTotalBytes) bytes")
                }
                totalBytes = sum
                if entry.uncompressedSize > options.ratioThreshold {
                    let (bound, big) = max(entry.compressedSize, 1).multipliedReportingOverflow(by: options.maxRatio)
                    if !big && entry.uncompressedSize > bound {
                        throw ZipError(
                            .limitExceeded, entry: entry.name,
                            "expands \(entry.uncompressedSize / max(entry.compressedSize, 1)) times "
                                + "(\(entry.compressedSize) to \(entry.uncompressedSize) bytes), over the ratio limit of \(options.maxRatio)"
                        )
                    }
                }
                if entry.isSymlink {
                    let target = try linkTarget(entry)
                    kind = .symlink(target: target)
                    links[path] = target
                } else {
                    kind = .file
                }
            }
            if let previous = kinds[path] {
                if previous == .directory && kind == .directory { continue }
                throw ZipError(.unsafe, entry: entry.name, "unsafe: the archive has two entries for \"\(path)\"")
            }
            kinds[path] = kind
            ranges.append((try dataRange(entry), entry.name))
            items.append(Item(entry: entry, components: components, kind: kind))
        }
        // No entry may sit below a file, or be written through one of the archive's symbolic links.
        for item in items {
            var prefix = ""
            for component in item.components.dropLast() {
                prefix = prefix.isEmpty ? component : prefix + "/" + component
                switch kinds[prefix] {
                case .file?:
                    throw ZipError(
                        .unsafe, entry: item.entry.name,
                        "unsafe: \"\(prefix)\" is a file in the archive, not a directory")
                case .symlink?:
                    throw ZipError(
                        .unsafe, entry: item.entry.name, "unsafe: would write through the symbolic link \"\(prefix)\"")
                default:
                    break
                }
            }
            if case .symlink(let target) = item.kind,
                !EntryPath.linkStaysInside(link: item.components, target: target, links: links)
            {
                throw ZipError(
                    .unsafe, entry: item.entry.name,
                    "unsafe: the symbolic link target \"\(ZipError.printable(target))\" leaves the destination")
            }
        }
        // Overlapping entries are how the densest zip bombs reuse one compressed stream many times.
        ranges.sort { $0.0.lowerBound < $1.0.lowerBound }
        for i in ranges.indices {
            if ranges[i].0.upperBound > directoryStart {
                throw ZipError(.corrupt, entry: ranges[i].1, "the entry's data overlaps the central directory")
            }
            if i > 0 && ranges[i].0.lowerBound < ranges[i - 1].0.upperBound {
                throw ZipError(.corrupt, entry: ranges[i].1, "the entry's data overlaps entry \"\(ranges[i - 1].1)\"")
            }
        }
    }
}
