import Foundation

/// The zip corpus beside the repository (`../shared/corpus/zip`) and what its MANIFEST.tsv files expect.
public enum ZipCorpus {
    /// One archive the manifest describes.
    public struct Entry: Sendable, CustomStringConvertible {
        /// The archive's path.
        public let file: URL
        /// Its path relative to the corpus, for test names.
        public let name: String
        /// The manifest's `exercises` column.
        public let exercises: String
        /// The manifest's expectation column (`go_expectation`).
        public let expectation: String

        /// The name, so parameterized test cases read well.
        public var description: String { name }

        /// Whether the manifest marks reading or safely extracting this archive as an error: the reader
        /// rejects it (`-> ErrFormat`, `-> ErrChecksum`, `-> io.ErrUnexpectedEOF`, `ErrInsecurePath`), or a
        /// safe extractor must refuse it (zip-slip, absolute names, escaping symlinks, bombs, file/dir clashes).
        public var isError: Bool {
            let markers = [
                "-> ErrFormat", "-> error", "-> ErrChecksum", "-> io.ErrUnexpectedEOF", "ErrInsecurePath",
                "must refuse", "should refuse", "must not create", "should detect", "any error is fine",
            ]
            return markers.contains { expectation.contains($0) }
        }
    }

    /// `<repo>/../shared/corpus/zip`.
    public static var root: URL { Repository.corpus.appendingPathComponent("zip") }

    /// Every archive listed by every MANIFEST.tsv under the corpus (empty when the corpus is absent).
    public static func entries() -> [Entry] {
        var result: [Entry] = []
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL {
            guard url.lastPathComponent == "MANIFEST.tsv", let text = FileSystem.text(url) else { continue }
            let folder = url.deletingLastPathComponent()
            let lines = text.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
            guard let header = lines.first else { continue }
            let column = { (name: String) in header.firstIndex { $0 == name } }
            guard let fileColumn = column("file"), let expectationColumn = column("go_expectation") else { continue }
            let exercisesColumn = column("exercises")
            for fields in lines.dropFirst() where fields.count > max(fileColumn, expectationColumn) {
                let relative = String(fields[fileColumn])
                let file = folder.appendingPathComponent(relative)
                guard FileManager.default.fileExists(atPath: file.path) else { continue }
                let base = folder.path.dropFirst(root.path.count).trimmingCharacters(
                    in: CharacterSet(charactersIn: "/"))
                result.append(
                    Entry(
                        file: file, name: base.isEmpty ? relative : base + "/" + relative,
                        exercises: exercisesColumn.map { String(fields[$0]) } ?? "",
                        expectation: String(fields[expectationColumn])))
            }
        }
        return result.sorted { $0.name < $1.name }
    }

    /// The archives the manifests mark as errors.
    public static func errorEntries() -> [Entry] {
        entries().filter(\.isError)
    }
}
