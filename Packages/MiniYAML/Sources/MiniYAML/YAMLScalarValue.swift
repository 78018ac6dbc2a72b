/// A scalar resolved by the YAML 1.2 core schema.
///
/// Plain scalars: `null`/`Null`/`NULL`/`~`/empty are null; `true`/`True`/`TRUE` and the `false` forms are
/// booleans; `[-+]?[0-9]+`, `0o[0-7]+` and `0x[0-9a-fA-F]+` are integers; `[-+]?(.[0-9]+|[0-9]+(.[0-9]*)?)
/// ([eE][-+]?[0-9]+)?`, `[-+]?.inf` and `.nan` (in their three spellings) are floats; all else is a string.
/// Quoted and block scalars are always strings.
public enum YAMLScalarValue: Sendable, Equatable {
    /// Null.
    case null
    /// A boolean.
    case bool(Bool)
    /// An integer that fits in `Int`.
    case int(Int)
    /// An integer too large for `Int`, as canonical decimal digits with an optional leading `-`.
    case bigInt(String)
    /// A floating-point number (including infinities and NaN).
    case double(Double)
    /// A string.
    case string(String)

    /// Resolves `text` written in `style`.
    public init(text: String, style: YAMLScalarStyle) {
        guard style == .plain else {
            self = .string(text)
            return
        }
        self = Self.resolvePlain(text)
    }

    /// Equality that treats NaN as equal to NaN (for comparisons of documents).
    static func sameValue(_ a: YAMLScalarValue, _ b: YAMLScalarValue) -> Bool {
        if case .double(let x) = a, case .double(let y) = b, x.isNaN, y.isNaN { return true }
        return a == b
    }

    private static func resolvePlain(_ text: String) -> YAMLScalarValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        case ".nan", ".NaN", ".NAN": return .double(.nan)
        default: break
        }
        let bytes = Array(text.utf8)
        if let integer = resolveInteger(bytes) { return integer }
        if isCoreFloat(bytes) {
            // Swift's Double(String) wants digits on both sides of the point in some spellings.
            var normalized: [UInt8] = []
            for (k, c) in bytes.enumerated() {
                if c == UInt8(ascii: "."), normalized.isEmpty || !isDigit(normalized.last!) { normalized.append(0x30) }
                normalized.append(c)
                if c == UInt8(ascii: "."), k + 1 == bytes.count || !isDigit(bytes[k + 1]) { normalized.append(0x30) }
            }
            if let value = Double(String(decoding: normalized, as: UTF8.self)) { return .double(value) }
        }
        return .string(text)
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    private static func resolveInteger(_ b: [UInt8]) -> YAMLScalarValue? {
        guard !b.isEmpty else { return nil }
        if b.count > 2, b[0] == 0x30, b[1] == UInt8(ascii: "o") {
            let digits = b[2...]
            guard digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x37 }) else { return nil }
            return fromDigits(digits.map { Int($0 - 0x30) }, radix: 8, negative: false)
        }
        if b.count > 2, b[0] == 0x30, b[1] == UInt8(ascii: "x") {
            var values: [Int] = []
            for c in b[2...] {
                switch c {
                case 0x30...0x39: values.append(Int(c - 0x30))
                case 0x61...0x66: values.append(Int(c - 0x61 + 10))
                case 0x41...0x46: values.append(Int(c - 0x41 + 10))
                default: return nil
                }
            }
            return fromDigits(values, radix: 16, negative: false)
        }
        var start = 0
        var negative = false
        if b[0] == UInt8(ascii: "-") || b[0] == UInt8(ascii: "+") {
            negative = b[0] == UInt8(ascii: "-")
            start = 1
        }
        let digits = b[start...]
        guard !digits.isEmpty, digits.allSatisfy(isDigit) else { return nil }
        return fromDigits(digits.map { Int($0 - 0x30) }, radix: 10, negative: negative)
    }

    /// Converts digits to an Int, or to exact decimal text when they do not fit.
    private static func fromDigits(_ digits: [Int], radix: Int, negative: Bool) -> YAMLScalarValue {
        var value = 0
        var overflow = false
        for d in digits {
            let (m, o1) = value.multipliedReportingOverflow(by: radix)
            let (s, o2) = negative ? m.subtractingReportingOverflow(d) : m.addingReportingOverflow(d)
            if o1 || o2 {
                overflow = true
                break
            }
            value = s
        }
        if !overflow { return .int(value) }
        // Base-1e9 limbs, least significant first.
        var limbs: [UInt64] = [0]
        for d in digits {
            var carry = UInt64(d)
            for k in limbs.indices {
                let v = limbs[k] * UInt64(radix) + carry
                limbs[k] = v % 1_000_000_000
                carry = v / 1_000_000_000
            }
            while carry > 0 {
                limbs.append(carry % 1_000_000_000)
                carry /= 1_000_000_000
            }
        }
        var text = String(limbs.last!)
        for limb in limbs.dropLast().reversed() {
            let part = String(limb)
            text += String(repeating: "0", count: 9 - part.count) + part
        }
        return .bigInt(negative ? "-" + text : text)
    }

    /// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
    private static func isCoreFloat(_ b: [UInt8]) -> Bool {
        var i = 0
        if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") { i += 1 }
        var intDigits = 0
        while i < b.count, isDigit(b[i]) {
            i += 1
            intDigits += 1
        }
        var fracDigits = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            while i < b.count, isDigit(b[i]) {
                i += 1
                fracDigits += 1
            }
            if intDigits == 0 && fracDigits == 0 { return false }
        } else if intDigits == 0 {
            return false
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") { i += 1 }
            var expDigits = 0
            while i < b.count, isDigit(b[i]) {
                i += 1
                expDigits += 1
            }
            if expDigits == 0 { return false }
        }
        return i == b.count
    }
}
