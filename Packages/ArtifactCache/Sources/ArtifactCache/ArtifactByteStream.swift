import CZlib

/// An entry's bytes as an async sequence of chunks, read from disk on demand (one chunk in memory at a time).
///
/// Each iteration reads independently from the shared descriptor, so one stream may be iterated several times.
/// Throws `ArtifactCacheError` (`.corruptEntry`) if a gzip blob does not decode to the recorded length.
public struct ArtifactByteStream: AsyncSequence, Sendable {
    /// A chunk of bytes.
    public typealias Element = [UInt8]

    enum Mode: Sendable {
        case stored
        case inflate
    }

    let artifact: CachedArtifact
    let mode: Mode
    /// Offsets in the stream's own coordinates (stored bytes for `.stored`, original bytes for `.inflate`).
    let range: Range<Int64>

    /// Starts reading.
    public func makeAsyncIterator() -> Iterator {
        Iterator(stream: self)
    }

    /// Reads the next chunk from disk.
    public struct Iterator: AsyncIteratorProtocol {
        private let stream: ArtifactByteStream
        private var fileOffset: Int64
        private var produced: Int64 = 0
        private var inflater: InflateStream?
        private var done = false

        init(stream: ArtifactByteStream) {
            self.stream = stream
            fileOffset = stream.mode == .stored ? stream.range.lowerBound : 0
        }

        /// The next chunk, or nil at the end of the range.
        public mutating func next() async throws -> [UInt8]? {
            if done { return nil }
            switch stream.mode {
            case .stored: return try await nextStored()
            case .inflate: return try await nextInflated()
            }
        }

        private mutating func nextStored() async throws -> [UInt8]? {
            let remaining = stream.range.upperBound - fileOffset
            guard remaining > 0 else {
                done = true
                return nil
            }
            let want = Int(Swift.min(Int64(stream.artifact.readChunkSize), remaining))
            let artifact = stream.artifact
            let offset = fileOffset
            let chunk = try await FileIO.readOffThePool(
                artifact.fileDescriptor, count: want, at: offset, path: artifact.path)
            guard !chunk.isEmpty else {
                throw ArtifactCacheError(
                    .corruptEntry,
                    "\(artifact.path) (\(artifact.metadata.url)) ends at \(offset), before \(stream.range.upperBound)")
            }
            fileOffset += Int64(chunk.count)
            return chunk
        }

        private mutating func nextInflated() async throws -> [UInt8]? {
            let artifact = stream.artifact
            let start = stream.range.lowerBound
            let end = stream.range.upperBound
            if inflater == nil { inflater = try InflateStream(format: .gzip, chunkSize: artifact.readChunkSize) }
            // Small input pieces bound the output per call even for highly compressible data.
            let inputSize = Swift.max(16 * 1024, artifact.readChunkSize / 8)
            while true {
                if produced >= end {
                    done = true
                    return nil
                }
                let input = try await FileIO.readOffThePool(
                    artifact.fileDescriptor, count: inputSize, at: fileOffset, path: artifact.path)
                let count = input.count
                guard count > 0, let inflater, !inflater.isFinished else {
                    throw corrupt("the gzip stream ends after \(produced) of \(artifact.metadata.size) bytes")
                }
                var out: [UInt8] = []
                var position = produced
                let consumed = try input.withUnsafeBytes { raw in
                    try inflater.decompress(UnsafeRawBufferPointer(rebasing: raw[0..<count])) { piece in
                        let pieceStart = position
                        let pieceEnd = position + Int64(piece.count)
                        position = pieceEnd
                        let lower = Swift.max(pieceStart, start)
                        let upper = Swift.min(pieceEnd, end)
                        if lower < upper {
                            out.append(
                                contentsOf: UnsafeRawBufferPointer(
                                    rebasing: piece[Int(lower - pieceStart)..<Int(upper - pieceStart)]))
                        }
                    }
                }
                fileOffset += Int64(consumed)
                produced = position
                if inflater.isFinished && produced < end {
                    throw corrupt("the gzip stream ends after \(produced) of \(artifact.metadata.size) bytes")
                }
                if !out.isEmpty { return out }
                if consumed == 0 && !inflater.isFinished {
                    throw corrupt("the gzip stream makes no progress at stored offset \(fileOffset)")
                }
            }
        }

        private func corrupt(_ what: String) -> ArtifactCacheError {
            ArtifactCacheError(.corruptEntry, "\(stream.artifact.path) (\(stream.artifact.metadata.url)): \(what)")
        }
    }
}
