import Foundation

/// Small file helpers the scenarios use (text files, line counts, directory listings).
public enum FileSystem {
    /// Writes `text` to `url` as UTF-8, creating the parent folders.
    public static func write(_ text: String, to url: URL) throws {
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// The file's text, or nil when it does not exist.
    public static func text(_ url: URL) -> String? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// The file's non-empty lines (an absent file has none).
    public static func lines(_ url: URL) -> [String] {
        (text(url) ?? "").split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    /// Creates a folder and its parents.
    public static func makeDirectory(_ url: URL) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Every path under `root` (files, folders and symlinks, not followed), relative to it, sorted.
    public static func tree(_ root: URL, excluding excluded: Set<String> = []) -> [String] {
        var result: [String] = []
        func walk(_ dir: URL, _ prefix: String) {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            for name in names.sorted() {
                let relative = prefix.isEmpty ? name : prefix + "/" + name
                if excluded.contains(relative) { continue }
                result.append(relative)
                let child = dir.appendingPathComponent(name)
                var isDirectory: ObjCBool = false
                let attributes = try? FileManager.default.attributesOfItem(atPath: child.path)
                let isLink = (attributes?[.type] as? FileAttributeType) == .typeSymbolicLink
                if !isLink, FileManager.default.fileExists(atPath: child.path, isDirectory: &isDirectory),
                    isDirectory.boolValue
                {
                    walk(child, relative)
                }
            }
        }
        walk(root, "")
        return result
    }

    /// The last `count` lines of a log file, for error messages.
    public static func tail(_ url: URL, lines count: Int = 30) -> String {
        let all = (text(url) ?? "").split(separator: "\n", omittingEmptySubsequences: false)
        return all.suffix(count).joined(separator: "\n")
    }
}
