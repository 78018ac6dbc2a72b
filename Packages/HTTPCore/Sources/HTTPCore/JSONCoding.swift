import NIOCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The JSON encoder and decoder HTTPCore uses for `.json` responses, request decoding and the client.
///
/// Dates travel as ISO 8601 strings; keys are sorted so that responses are stable for tests and diffs.
public enum JSONCoding {
    /// Makes the encoder HTTPCore uses (sorted keys, ISO 8601 dates).
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// Makes the decoder HTTPCore uses (ISO 8601 dates).
    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    // Shared instances: making an encoder per response cost about a third of the JSON route's throughput.
    // JSONEncoder and JSONDecoder are Sendable and safe to use from many tasks once configured.
    private static let sharedEncoder = makeEncoder()
    private static let sharedDecoder = makeDecoder()

    /// Encodes `value` as JSON into a new buffer.
    public static func encode(_ value: some Encodable) throws -> ByteBuffer {
        let data = try sharedEncoder.encode(value)
        return ByteBuffer(bytes: data)
    }

    /// Decodes a `T` from the readable bytes of `buffer`.
    public static func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        let data = Data(buffer.readableBytesView)
        return try sharedDecoder.decode(type, from: data)
    }
}
