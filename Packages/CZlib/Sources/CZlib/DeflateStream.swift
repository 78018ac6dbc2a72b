import CZlibSystem

/// Compresses a stream of bytes with zlib's deflate.
///
/// Call `compress` for each piece of input, then `finish` once; compressed bytes are handed to the
/// `output` closure in chunks that are valid only during the call. Not thread-safe: one owner at a time.
public final class DeflateStream {
    private let stream: UnsafeMutablePointer<z_stream>
    private var outputBuffer: [UInt8]
    private var finished = false

    /// The framing of the output.
    public let format: ZlibFormat

    /// Prepares a compressor; `level` is 0 (store) to 9 (smallest), -1 for zlib's default (6).
    public init(format: ZlibFormat = .raw, level: Int32 = -1, chunkSize: Int = 64 * 1024) throws {
        precondition(chunkSize > 0, "chunkSize must be positive")
        guard (-1...9).contains(level) else {
            throw ZlibError(code: Z_STREAM_ERROR, message: "compression level \(level) is out of range -1...9")
        }
        self.format = format
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        outputBuffer = [UInt8](repeating: 0, count: chunkSize)
        let rc = czlib_deflateInit2(stream, level, format.windowBits, 8)
        guard rc == Z_OK else {
            stream.deallocate()
            throw ZlibError(code: rc, operation: "deflateInit2", stream: nil)
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    /// Compresses `input`, passing any compressed output produced so far to `output`.
    public func compress(_ input: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(!finished, "compress called after finish")
        try run(input, flush: Z_NO_FLUSH, output: output)
    }

    /// Compresses `input`, passing any compressed output produced so far to `output`.
    public func compress(_ input: [UInt8], output: (UnsafeRawBufferPointer) throws -> Void) throws {
        try input.withUnsafeBytes { try compress($0, output: output) }
    }

    /// Ends the stream, passing the remaining compressed bytes (and the trailer) to `output`.
    public func finish(output: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(!finished, "finish called twice")
        finished = true
        try run(UnsafeRawBufferPointer(start: nil, count: 0), flush: Z_FINISH, output: output)
    }

    private func run(_ input: UnsafeRawBufferPointer, flush: Int32, output: (UnsafeRawBufferPointer) throws -> Void)
        throws
    {
        var base = input.baseAddress
        var remaining = input.count
        repeat {
            let slice = min(remaining, Int(UInt32.max >> 1))
            stream.pointee.next_in = UnsafeMutablePointer(mutating: base?.assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(slice)
            let lastSlice = slice == remaining
            let mode = lastSlice ? flush : Z_NO_FLUSH
            while true {
                let (rc, produced) = outputBuffer.withUnsafeMutableBytes { out -> (Int32, Int) in
                    stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.pointee.avail_out = uInt(out.count)
                    let rc = deflate(stream, mode)
                    return (rc, out.count - Int(stream.pointee.avail_out))
                }
                if rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR {
                    throw ZlibError(code: rc, operation: "deflate", stream: stream)
                }
                if produced > 0 {
                    try outputBuffer.withUnsafeBytes { try output(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) }
                }
                if rc == Z_STREAM_END { break }
                // More output is pending while zlib filled the whole buffer.
                if stream.pointee.avail_out != 0 && stream.pointee.avail_in == 0 { break }
            }
            base = base.map { $0 + slice }
            remaining -= slice
        } while remaining > 0
    }
}

extension DeflateStream {
    /// Compresses `input` in one call.
    public static func compress(_ input: [UInt8], format: ZlibFormat = .raw, level: Int32 = -1) throws -> [UInt8] {
        let stream = try DeflateStream(format: format, level: level)
        var result: [UInt8] = []
        result.reserveCapacity(input.count / 2 + 64)
        try stream.compress(input) { result.append(contentsOf: $0) }
        try stream.finish { result.append(contentsOf: $0) }
        return result
    }
}
