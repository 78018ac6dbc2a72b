import CZlibSystem

/// A failure reported by zlib: corrupt compressed data, or a stream used wrongly.
public struct ZlibError: Error, Sendable, Hashable, CustomStringConvertible {
    /// zlib's return code (`Z_DATA_ERROR`, `Z_MEM_ERROR`, ...).
    public let code: Int32
    /// What was being done, and zlib's own message when it gave one.
    public let message: String

    init(code: Int32, operation: String, stream: UnsafePointer<z_stream>?) {
        self.code = code
        var text = "\(operation) failed: \(ZlibError.name(of: code))"
        if let msg = stream?.pointee.msg {
            text += " (\(String(cString: msg)))"
        }
        self.message = text
    }

    init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    static func name(of code: Int32) -> String {
        switch code {
        case Z_STREAM_ERROR: return "stream error"
        case Z_DATA_ERROR: return "invalid or corrupt compressed data"
        case Z_MEM_ERROR: return "out of memory"
        case Z_BUF_ERROR: return "no progress possible (truncated input?)"
        case Z_VERSION_ERROR: return "incompatible zlib version"
        case Z_NEED_DICT: return "a preset dictionary is required"
        default: return "zlib error \(code)"
        }
    }

    /// The compressed stream ended before its end marker.
    public static let truncated = ZlibError(
        code: Z_BUF_ERROR, message: "compressed data is truncated: the stream ended before its end marker")
}
