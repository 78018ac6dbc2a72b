import Foundation

/// A directory's content, recursively: relative path → file bytes (directories map to `nil`), with modes.
struct DirectorySnapshot: Equatable, CustomStringConvertible {
    var entries: [String: Data?] = [:]
    var modes: [String: Int] = [:]

    init(_ root: String) {
        let manager = FileManager.default
        guard let walker = manager.enumerator(atPath: root) else { return }
        while let relative = walker.nextObject() as? String {
            let path = root + "/" + relative
            let attributes = try? manager.attributesOfItem(atPath: path)
            modes[relative] = attributes?[.posixPermissions] as? Int
            if attributes?[.type] as? FileAttributeType == .typeDirectory {
                entries[relative] = .some(nil)
            } else {
                entries[relative] = manager.contents(atPath: path)
            }
        }
    }

    var description: String {
        let names = entries.keys.sorted()
        return "\(names.count) entries: \(names.prefix(8).joined(separator: ", "))\(names.count > 8 ? ", ..." : "")"
    }
}
