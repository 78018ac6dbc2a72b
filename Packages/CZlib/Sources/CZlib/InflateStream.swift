import CZlibSystem

/// Decompresses a stream of deflate data with zlib.
///
/// Feed compressed input with `decompress`; decompressed bytes are handed to `output` in chunks valid only
/// during the call. The stream knows where the compressed data ends: `isFinished` turns true at the end
/// marker, and `decompress` returns how much input it consumed so callers can find trailing bytes.
/// Not thread-safe: one owner at a time.
public final class InflateStream {
    private let stream: UnsafeMutablePointer<z_stream>
    private var outputBuffer: [UInt8]

    /// The framing expected on the input.
    public let format: ZlibFormat
    /// True once the end of the compressed stream was reached.
    public private(set) var isFinished = false
    /// Decompressed bytes produced so far.
    public private(set) var totalOut: UInt64 = 0
    /// Compressed bytes consumed so far.
    public private(set) var totalIn: UInt64 = 0

    /// Prepares a decompressor for `format`.
    public init(format: ZlibFormat = .raw, chunkSize: Int = 64 * 1024) throws {
        precondition(chunkSize > 0, "chunkSize must be positive")
        self.format = format
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        outputBuffer = [UInt8](repeating: 0, count: chunkSize)
        let rc = czlib_inflateInit2(stream, format.windowBits)
        guard rc == Z_OK else {
            stream.deallocate()
            throw ZlibError(code: rc, operation: "inflateInit2", stream: nil)
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// Decompresses from `input`, passing output to `output`; returns the number of input bytes consumed.
    ///
    /// Consumes all of `input` unless the stream ends inside it. Throws `ZlibError` on corrupt data.
    @discardableResult
    public func decompress(_ input: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws
        -> Int
    {
        if isFinished || input.isEmpty { return 0 }
        var consumed = 0
        var base = input.baseAddress!
        var remaining = input.count
        while remaining > 0 && !isFinished {
            let slice = min(remaining, Int(UInt32.max >> 1))
            stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(slice)
            while true {
                let (rc, produced) = outputBuffer.withUnsafeMutableBytes { out -> (Int32, Int) in
                    stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.pointee.avail_out = uInt(out.count)
                    let rc = inflate(stream, Z_NO_FLUSH)
                    return (rc, out.count - Int(stream.pointee.avail_out))
                }
                switch rc {
                case Z_OK, Z_BUF_ERROR:
                    break
                case Z_STREAM_END:
                    isFinished = true
                case Z_NEED_DICT:
                    throw ZlibError(code: Z_DATA_ERROR, operation: "inflate", stream: stream)
                default:
                    throw ZlibError(code: rc, operation: "inflate", stream: stream)
                }
                totalOut += UInt64(produced)
                if produced > 0 {
                    try outputBuffer.withUnsafeBytes { try output(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) }
                }
                if isFinished { break }
                if stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 { break }
                if rc == Z_BUF_ERROR && produced == 0 { break }
            }
            let used = slice - Int(stream.pointee.avail_in)
            consumed += used
            totalIn += UInt64(used)
            base += used
            remaining -= used
            if used < slice && !isFinished { break }
        }
        return consumed
    }

    /// Decompresses from `input`; see `decompress(_:output:)`.
    @discardableResult
    public func decompress(_ input: [UInt8], output: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        try input.withUnsafeBytes { try decompress($0, output: output) }
    }
}

extension InflateStream {
    /// Decompresses a complete stream in one call; throws if it is corrupt or truncated.
    ///
    /// `limit` bounds the output so a small malicious input cannot exhaust memory.
    public static func decompress(_ input: [UInt8], format: ZlibFormat = .raw, limit: Int = Int.max) throws
        -> [UInt8]
    {
        let stream = try InflateStream(format: format)
        var result: [UInt8] = []
        try stream.decompress(input) { chunk in
            guard result.count + chunk.count <= limit else {
                throw ZlibError(code: Z_BUF_ERROR, message: "decompressed data exceeds the limit of \(limit) bytes")
            }
            result.append(contentsOf: chunk)
        }
        guard stream.isFinished else { throw ZlibError.truncated }
        return result
    }
}
