/// The pure rules that decide where an entry may land, applied before anything is written.
enum EntryPath {
    /// The safe relative path components of an entry's name, or a `ZipError` saying why it is unsafe.
    ///
    /// Refused: NUL bytes, backslashes (a separator on Windows, so `..\x` would escape there), absolute names,
    /// and `..` components. Empty and `.` components are dropped, so `a//./b` is `a/b`. An empty result is
    /// the destination itself (allowed only for a directory entry, e.g. `./`). A name with no bytes at all is
    /// refused whatever the entry claims to be: no tool writes one, and a "directory" without a name would
    /// otherwise be skipped unread, hiding data that is corrupt (Go's issue 11146 archive).
    static func components(of entry: ZipEntry) throws -> [String] {
        let name = entry.name
        if entry.rawName.isEmpty {
            throw ZipError(.unsafe, entry: name, "unsafe: the entry has no name")
        }
        if entry.rawName.contains(0) || name.unicodeScalars.contains("\0") {
            throw ZipError(.unsafe, entry: name, "unsafe: the name contains a NUL byte")
        }
        if name.contains("\\") {
            throw ZipError(.unsafe, entry: name, "unsafe: the name contains a backslash")
        }
        if name.hasPrefix("/") {
            throw ZipError(.unsafe, entry: name, "unsafe: the name is an absolute path")
        }
        var parts: [String] = []
        for part in name.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                throw ZipError(.unsafe, entry: name, "unsafe: the name has a \"..\" component")
            }
            parts.append(String(part))
        }
        if parts.isEmpty && !entry.isDirectory {
            throw ZipError(.unsafe, entry: name, "unsafe: the name is empty")
        }
        return parts
    }

    /// Whether a symbolic link at `link` (components) pointing at `target` stays inside the destination,
    /// following the archive's other links (`links`: path joined by `/` → target) as a kernel would.
    static func linkStaysInside(link: [String], target: String, links: [String: String]) -> Bool {
        if target.isEmpty || target.hasPrefix("/") || target.contains("\0") { return false }
        var stack = Array(link.dropLast())
        var pending = ArraySlice(target.split(separator: "/", omittingEmptySubsequences: true).map(String.init))
        var hops = 0
        while let part = pending.first {
            pending = pending.dropFirst()
            if part == "." { continue }
            if part == ".." {
                if stack.isEmpty { return false }
                stack.removeLast()
                continue
            }
            stack.append(part)
            if let next = links[stack.joined(separator: "/")] {
                hops += 1
                if hops > 40 || next.isEmpty || next.hasPrefix("/") { return false }
                stack.removeLast()
                pending = ArraySlice(
                    next.split(separator: "/", omittingEmptySubsequences: true).map(String.init) + pending)
            }
        }
        return true
    }
}
