#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Carries out a validated `ExtractionPlan` on the file system (phases 2 and 3 of `extractAll`).
///
/// Until it returns, every change can be undone: a failure or a stop request removes what it created,
/// puts back each file it replaced (kept as a hard link under a temporary name until the end) and restores
/// the modes of directories it changed.
final class Extractor {
    private let archive: ZipArchive
    private let destination: String
    private let options: ExtractionOptions
    private let buffer: ReadBuffer

    private var rootFD: Int32 = -1
    private var directoryFDs: [String: Int32] = [:]
    /// Directories this extraction created, in creation order (paths relative to the destination, "" = itself).
    private var createdDirectories: [String] = []
    private var createdDestination: [String] = []
    /// Written but not yet renamed: temporary name → its directory.
    private var pendingTemps: [String: String] = [:]
    /// Files and links that did not exist before and are now in place.
    private var placedNew: [(directory: String, name: String)] = []
    private var existedBefore: Set<String> = []
    /// Files and links replaced so far, each kept under a temporary name so a rollback can put it back.
    private var replaced: [(directory: String, backup: String, name: String)] = []
    /// Directories whose mode was set, with the mode each had before (deepest first, as they were set).
    private var changedModes: [(components: [String], mode: mode_t)] = []
    private var summary = ExtractionSummary()
    private let tag: String
    private let isCancelled: () -> Bool

    init(
        archive: ZipArchive, destination: String, options: ExtractionOptions, buffer: ReadBuffer,
        isCancelled: @escaping () -> Bool
    ) {
        self.archive = archive
        self.destination = destination
        self.options = options
        self.buffer = buffer
        self.tag = ".zipreader-\(getpid())-"
        self.isCancelled = isCancelled
    }

    deinit {
        closeDirectories()
        if rootFD >= 0 { close(rootFD) }
    }

    func run(_ plan: ExtractionPlan) throws -> ExtractionSummary {
        try checkDestination(plan)
        do {
            try makeDestination()
            var staged: [(item: ExtractionPlan.Item, temp: String)] = []
            var links: [ExtractionPlan.Item] = []
            for item in plan.items {
                try checkCancellation()
                switch item.kind {
                case .directory:
                    _ = try directory(item.components[...])
                case .file:
                    staged.append((item, try writeTemporary(item)))
                case .symlink:
                    links.append(item)
                }
            }
            for (item, temp) in staged {
                try checkCancellation()
                try place(temp, as: item, "cannot rename into place")
                summary.files += 1
                summary.bytes += item.entry.uncompressedSize
            }
            for item in links {
                guard case .symlink(let target) = item.kind else { continue }
                try checkCancellation()
                let dir = try directory(item.components.dropLast())
                let temp = tag + "\(item.entry.index).tmp"
                _ = unlinkat(dir, temp, 0)
                guard symlinkat(target, dir, temp) == 0 else {
                    throw ioError(item.entry, "cannot create the symbolic link")
                }
                pendingTemps[temp] = parent(item)
                try place(temp, as: item, "cannot rename the symbolic link into place")
                summary.symlinks += 1
            }
            // Deepest first, so a read-only parent does not stop us from changing its children.
            let directories = plan.items.filter { $0.kind == .directory }.sorted {
                $0.components.count > $1.components.count
            }
            for item in directories {
                try checkCancellation()
                let fd = try directory(item.components[...])
                var info = stat()
                guard fstat(fd, &info) == 0 else { throw ioError(item.entry, "cannot read the directory's mode") }
                guard fchmod(fd, mode_t(item.entry.permissions)) == 0 else {
                    throw ioError(item.entry, "cannot set the directory's mode")
                }
                changedModes.append((item.components, info.st_mode & 0o7777))
            }
            // The last moment a stop request is honoured: past it, only the kept originals go.
            try checkCancellation()
            for (dir, backup, _) in replaced {
                if let fd = try? directory(components(dir)) { _ = unlinkat(fd, backup, 0) }
            }
            summary.directories = createdDirectories.count
            return summary
        } catch {
            rollBack()
            throw error
        }
    }

    // MARK: - Phase 1b: the destination's state

    /// Refuses, before writing, paths that exist (without `overwrite`) or are in the way, and symbolic
    /// links in the destination on the way to an entry.
    private func checkDestination(_ plan: ExtractionPlan) throws {
        var checkedDirectories: Set<String> = []
        for item in plan.items {
            try checkCancellation()
            var prefix = ""
            for component in item.components.dropLast() {
                prefix = prefix.isEmpty ? component : prefix + "/" + component
                if !checkedDirectories.insert(prefix).inserted { continue }
                switch fileType(prefix) {
                case nil, S_IFDIR?: break
                case S_IFLNK?:
                    throw ZipError(
                        .unsafe, entry: item.entry.name, "unsafe: \"\(prefix)\" in the destination is a symbolic link")
                default:
                    throw ZipError(
                        .exists, entry: item.entry.name,
                        "\"\(prefix)\" exists in the destination and is not a directory")
                }
            }
            guard let type = fileType(item.path) else { continue }
            switch item.kind {
            case .directory:
                if type == S_IFLNK {
                    throw ZipError(
                        .unsafe, entry: item.entry.name,
                        "unsafe: \"\(item.path)\" in the destination is a symbolic link")
                }
                if type != S_IFDIR {
                    throw ZipError(
                        .exists, entry: item.entry.name,
                        "\"\(item.path)\" exists in the destination and is not a directory")
                }
            case .file, .symlink:
                if type == S_IFDIR {
                    throw ZipError(
                        .exists, entry: item.entry.name, "\"\(item.path)\" exists in the destination as a directory")
                }
                if !options.overwrite {
                    throw ZipError(
                        .exists, entry: item.entry.name, "\"\(item.path)\" exists in the destination (overwrite is off)"
                    )
                }
                existedBefore.insert(item.path)
            }
        }
    }

    private func fileType(_ relative: String) -> mode_t? {
        var info = stat()
        guard lstat(destination + "/" + relative, &info) == 0 else { return nil }
        return info.st_mode & S_IFMT
    }

    // MARK: - Phase 2: directories and temporary files

    private func makeDestination() throws {
        var path = destination
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        var missing: [String] = []
        var probe = path
        var info = stat()
        while !probe.isEmpty && stat(probe, &info) != 0 {
            missing.append(probe)
            guard let slash = probe.lastIndex(of: "/") else { break }
            probe = String(probe[..<slash])
        }
        for dir in missing.reversed() {
            guard mkdir(dir, 0o755) == 0 || errno == EEXIST else {
                throw ZipError(.io, "cannot create the destination \"\(dir)\": \(String(cString: strerror(errno)))")
            }
            createdDestination.append(dir)
        }
        rootFD = open(path.isEmpty ? "/" : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else {
            throw ZipError(.io, "cannot open the destination \"\(path)\": \(String(cString: strerror(errno)))")
        }
    }

    /// A descriptor for the directory at `components`, creating what is missing; never follows a link.
    private func directory(_ components: ArraySlice<String>) throws -> Int32 {
        if components.isEmpty { return rootFD }
        let key = components.joined(separator: "/")
        if let fd = directoryFDs[key] { return fd }
        if directoryFDs.count >= 256 { closeDirectories() }
        var parentFD = rootFD
        var prefix = ""
        for component in components {
            prefix = prefix.isEmpty ? component : prefix + "/" + component
            if let fd = directoryFDs[prefix] {
                parentFD = fd
                continue
            }
            var fd = openat(parentFD, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if fd < 0 && errno == ENOENT {
                guard mkdirat(parentFD, component, 0o755) == 0 || errno == EEXIST else {
                    throw ZipError(.io, "cannot create directory \"\(prefix)\": \(String(cString: strerror(errno)))")
                }
                createdDirectories.append(prefix)
                fd = openat(parentFD, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            guard fd >= 0 else {
                if errno == ELOOP || errno == ENOTDIR {
                    throw ZipError(
                        .unsafe, "unsafe: \"\(prefix)\" in the destination is a symbolic link or not a directory")
                }
                throw ZipError(.io, "cannot open directory \"\(prefix)\": \(String(cString: strerror(errno)))")
            }
            directoryFDs[prefix] = fd
            parentFD = fd
        }
        return parentFD
    }

    private func closeDirectories() {
        for fd in directoryFDs.values { close(fd) }
        directoryFDs.removeAll(keepingCapacity: true)
    }

    private func writeTemporary(_ item: ExtractionPlan.Item) throws -> String {
        let dir = try directory(item.components.dropLast())
        let temp = tag + "\(item.entry.index).tmp"
        var fd = openat(dir, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd < 0 && errno == EEXIST {
            _ = unlinkat(dir, temp, 0)
            fd = openat(dir, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        }
        guard fd >= 0 else { throw ioError(item.entry, "cannot create a temporary file") }
        pendingTemps[temp] = parent(item)
        var closed = false
        defer { if !closed { close(fd) } }
        try archive.stream(item.entry, buffer: buffer) { chunk in
            // Per chunk too: one large entry can take minutes to write.
            try checkCancellation()
            var base = chunk.baseAddress
            var left = chunk.count
            while left > 0 {
                let n = write(fd, base, left)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ioError(item.entry, "cannot write")
                }
                base = base.map { $0 + n }
                left -= n
            }
        }
        guard fchmod(fd, mode_t(item.entry.permissions)) == 0 else {
            throw ioError(item.entry, "cannot set the file's mode")
        }
        closed = true
        guard close(fd) == 0 else { throw ioError(item.entry, "cannot close") }
        return temp
    }

    /// Renames `temp` to the item's name. A file or link it replaces is first kept under a temporary name
    /// (a hard link, so the name never goes missing), for `rollBack` to put back.
    private func place(_ temp: String, as item: ExtractionPlan.Item, _ failure: String) throws {
        let dir = try directory(item.components.dropLast())
        let name = item.components.last!
        var isNew = !existedBefore.contains(item.path)
        if !isNew {
            let backup = tag + "\(item.entry.index).orig"
            _ = unlinkat(dir, backup, 0)
            if linkat(dir, name, dir, backup, 0) == 0 {
                replaced.append((parent(item), backup, name))
            } else if errno == ENOENT {
                isNew = true  // removed by someone else since it was checked
            } else if renameat(dir, name, dir, backup) == 0 {
                // No hard links on this file system: the name is missing until the rename below.
                replaced.append((parent(item), backup, name))
            } else {
                throw ioError(item.entry, "cannot keep the file it replaces")
            }
        }
        guard renameat(dir, temp, dir, name) == 0 else { throw ioError(item.entry, failure) }
        pendingTemps[temp] = nil
        if isNew { placedNew.append((parent(item), name)) }
    }

    private func checkCancellation() throws {
        if isCancelled() { throw ZipError(.cancelled, "the extraction was stopped; the destination is as it was") }
    }

    private func components(_ relative: String) -> ArraySlice<String> {
        relative.isEmpty ? [] : ArraySlice(relative.split(separator: "/").map(String.init))
    }

    private func parent(_ item: ExtractionPlan.Item) -> String {
        item.components.dropLast().joined(separator: "/")
    }

    private func ioError(_ entry: ZipEntry, _ what: String) -> ZipError {
        ZipError(.io, entry: entry.name, "\(what): \(String(cString: strerror(errno)))")
    }

    // MARK: - Failure

    /// Undoes this extraction: restores directory modes, removes temporary files, new files and links, puts
    /// back the files and links it replaced, removes new directories.
    private func rollBack() {
        // Modes first: a directory the archive made read-only would keep us from removing what is in it.
        for (components, mode) in changedModes.reversed() {
            if let fd = try? directory(components[...]) { _ = fchmod(fd, mode) }
        }
        for (dir, name) in pendingTemps.map({ ($0.value, $0.key) }) + placedNew {
            if let fd = try? directory(components(dir)) { _ = unlinkat(fd, name, 0) }
        }
        for (dir, backup, name) in replaced.reversed() {
            if let fd = try? directory(components(dir)) { _ = renameat(fd, backup, fd, name) }
        }
        closeDirectories()
        for dir in createdDirectories.reversed() {
            _ = unlinkat(rootFD, dir, AT_REMOVEDIR)
        }
        if rootFD >= 0 {
            close(rootFD)
            rootFD = -1
        }
        for dir in createdDestination.reversed() {
            _ = rmdir(dir)
        }
    }
}
