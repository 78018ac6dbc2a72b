/// Splits a byte stream into lines for the log: `\n` ends a line, a `\r` before it is dropped, and a line
/// longer than `maxLineBytes` is delivered in pieces of that size so that one endless line cannot grow the
/// agent's memory. Invalid UTF-8 is repaired (U+FFFD), never a reason to drop output.
///
/// Raw buffers are split here rather than with Subprocess's `.strings()` sequence, which measured about
/// 50,000 lines/s: a chatty build step would then be slowed by its own logging.
struct LineSplitter: Sendable {
    /// Longest line delivered at once.
    let maxLineBytes: Int
    private var pending: [UInt8] = []

    init(maxLineBytes: Int = 16 * 1024) {
        self.maxLineBytes = max(maxLineBytes, 1)
    }

    /// Adds bytes and calls `emit` for every line they complete.
    mutating func append(_ bytes: UnsafeRawBufferPointer, emit: (String) -> Void) {
        var start = 0
        while let newline = bytes[start...].firstIndex(of: 0x0A) {
            if pending.isEmpty {
                emitLine(UnsafeRawBufferPointer(rebasing: bytes[start..<newline]), emit: emit)
            } else {
                pending.append(contentsOf: bytes[start..<newline])
                pending.withUnsafeBytes { emitLine($0, emit: emit) }
                pending.removeAll(keepingCapacity: true)
            }
            start = newline + 1
        }
        pending.append(contentsOf: bytes[start...])
        // Full-length pieces go out now; the rest (at most `maxLineBytes`) waits for its newline.
        while pending.count > maxLineBytes {
            emit(String(decoding: pending[0..<maxLineBytes], as: UTF8.self))
            pending.removeFirst(maxLineBytes)
        }
    }

    /// Delivers what is left when the stream ends without a final newline.
    mutating func finish(emit: (String) -> Void) {
        guard !pending.isEmpty else { return }
        pending.withUnsafeBytes { emitLine($0, emit: emit) }
        pending.removeAll()
    }

    private func emitLine(_ line: UnsafeRawBufferPointer, emit: (String) -> Void) {
        var line = line[...]
        if line.last == 0x0D { line = line.dropLast() }
        var start = line.startIndex
        while line.endIndex - start > maxLineBytes {
            emit(String(decoding: line[start..<start + maxLineBytes], as: UTF8.self))
            start += maxLineBytes
        }
        emit(String(decoding: line[start...], as: UTF8.self))
    }
}
