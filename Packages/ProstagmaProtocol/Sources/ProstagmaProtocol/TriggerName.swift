/// The trigger name rule: `[A-Za-z0-9._-]{1,128}`, and not made only of dots.
///
/// Names become URL path segments on the server and file names under the agent's state directory, so `.` and `..`
/// (and `...`, which some tools treat alike) are refused: no name may walk out of a directory.
public enum TriggerName {
    /// The longest name, in bytes.
    public static let maximumLength = 128

    /// Whether `name` follows the rule.
    public static func isValid(_ name: String) -> Bool {
        (try? validate(name)) != nil
    }

    /// Throws a ``ProtocolError`` that says what is wrong with `name` and where, unless it follows the rule.
    public static func validate(_ name: String) throws(ProtocolError) {
        let utf8 = name.utf8
        if utf8.isEmpty { throw invalid("the trigger name is empty; use 1 to 128 of A-Z a-z 0-9 . _ -") }
        if utf8.count > maximumLength {
            throw invalid("the trigger name is \(utf8.count) bytes long; the limit is \(maximumLength)")
        }
        for (offset, byte) in utf8.enumerated() where !isNameByte(byte) {
            let shown =
                name.unicodeScalars.count == utf8.count
                ? "'\(Character(Unicode.Scalar(byte)))'" : "a non-ASCII character"
            throw invalid("the trigger name has \(shown) at position \(offset + 1); allowed are A-Z a-z 0-9 . _ -")
        }
        if utf8.allSatisfy({ $0 == UInt8(ascii: ".") }) {
            throw invalid("the trigger name '\(name)' is made only of dots; it needs a letter, digit, '_' or '-'")
        }
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    static func invalid(_ message: String) -> ProtocolError { ProtocolError(.invalidTriggerName, message) }
}
