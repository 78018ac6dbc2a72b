import CZlib
import Crypto
import Foundation

extension ArtifactCache {
    /// Scans `directory` after a (possibly unclean) shutdown and returns the entries that are intact.
    ///
    /// Removes: temporary files (`*.partial`), unreadable or misplaced records, records whose blob is missing,
    /// of the wrong stored size or (with `.full`) does not decode to the recorded size and SHA-256, and blobs that
    /// no intact record points at.
    static func recover(directory: String, verification: Verification) throws -> [ArtifactMetadata] {
        var blobs = Set<String>()
        var records: [ArtifactMetadata] = []
        let decoder = JSONDecoder()
        for name in try FileIO.list(directory) {
            let path = directory + "/" + name
            if name.hasSuffix(".partial") {
                FileIO.remove(path)
            } else if name.hasSuffix(".blob") {
                blobs.insert(name)
            } else if name.hasSuffix(".json") {
                guard let data = FileManager.default.contents(atPath: path),
                    let metadata = try? decoder.decode(ArtifactMetadata.self, from: data),
                    metadata.formatVersion == 1,
                    name == key(metadata.url) + ".json",
                    metadata.blobName.hasPrefix(key(metadata.url) + "-")
                else {
                    FileIO.remove(path)
                    continue
                }
                records.append(metadata)
            }
        }
        var intact: [ArtifactMetadata] = []
        for metadata in records {
            let blob = directory + "/" + metadata.blobName
            var good = blobs.contains(metadata.blobName) && FileIO.size(blob) == metadata.storedSize
            if good && verification == .full {
                let digest = try? digest(ofBlob: blob, encoding: metadata.storedEncoding)
                good = digest?.size == metadata.size && digest?.sha256 == metadata.sha256
            }
            if good {
                intact.append(metadata)
            } else {
                FileIO.remove(directory + "/" + key(metadata.url) + ".json")
            }
        }
        let referenced = Set(intact.map(\.blobName))
        for blob in blobs where !referenced.contains(blob) {
            FileIO.remove(directory + "/" + blob)
        }
        return intact
    }

    /// Length and SHA-256 (hex) of the original bytes of a blob; throws if a gzip blob is corrupt or truncated.
    static func digest(ofBlob path: String, encoding: StoredEncoding) throws -> (size: Int64, sha256: String) {
        guard let fd = try FileIO.openForReading(path) else {
            throw ArtifactCacheError(.corruptEntry, "\(path) is missing")
        }
        defer { close(fd) }
        var hasher = SHA256()
        var size: Int64 = 0
        let inflater = encoding == .gzip ? try InflateStream(format: .gzip, chunkSize: 256 * 1024) : nil
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        var offset: Int64 = 0
        while true {
            let count = try buffer.withUnsafeMutableBytes { try FileIO.read(fd, into: $0, at: offset, path: path) }
            if count == 0 { break }
            offset += Int64(count)
            try buffer.withUnsafeBytes { raw in
                let piece = UnsafeRawBufferPointer(rebasing: raw[0..<count])
                if let inflater {
                    let used = try inflater.decompress(piece) { out in
                        hasher.update(bufferPointer: out)
                        size += Int64(out.count)
                    }
                    if used < count {
                        throw ArtifactCacheError(.corruptEntry, "\(path) has bytes after its gzip member")
                    }
                } else {
                    hasher.update(bufferPointer: piece)
                    size += Int64(count)
                }
            }
        }
        if let inflater, !inflater.isFinished {
            throw ArtifactCacheError(.corruptEntry, "\(path) ends inside its gzip member")
        }
        return (size, hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }
}
