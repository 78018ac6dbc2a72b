import MiniYAML
import Yams

#if canImport(Glibc)
    import Glibc
#endif

/// `YAMLBench --differential FILE...`: parses each file with MiniYAML and with Yams (libyaml) and reports
/// every file where MiniYAML accepts the input but the two trees differ (text, style, structure), or where
/// MiniYAML accepts what libyaml refuses. Meant for the fuzzer's corpus (fuzz-out/yaml/corpus).
enum Differential {
    static func run(paths: [String]) -> Int32 {
        var compared = 0
        var differing = 0
        var onlyMini = 0
        for path in paths {
            guard let bytes = MiniYAMLBenchIO.read(path), let text = String(validating: bytes, as: UTF8.self),
                let mini = try? YAMLParser.parse(text)
            else { continue }
            guard let yams = try? Yams.compose(yaml: text) else {
                onlyMini += 1
                print("accepted only by MiniYAML: \(path)")
                continue
            }
            compared += 1
            if let difference = compare(mini, yams, path: "$") {
                differing += 1
                print("differs: \(path): \(difference)")
            }
        }
        print("differential: \(compared) compared, \(differing) differ, \(onlyMini) accepted only by MiniYAML")
        return differing == 0 ? 0 : 1
    }

    static func compare(_ mini: MiniYAML.YAMLNode, _ yams: Yams.Node, path: String) -> String? {
        switch (mini, yams) {
        case (.scalar(let text, let style, _), .scalar(let scalar)):
            if text != scalar.string { return "\(path): \(text.debugDescription) vs \(scalar.string.debugDescription)" }
            let expected: Yams.Node.Scalar.Style
            switch style {
            case .plain: expected = .plain
            case .singleQuoted: expected = .singleQuoted
            case .doubleQuoted: expected = .doubleQuoted
            case .literal: expected = .literal
            case .folded: expected = .folded
            }
            return expected == scalar.style ? nil : "\(path): style \(style) vs \(scalar.style)"
        case (.sequence(let items, _), .sequence(let sequence)):
            let others = Array(sequence)
            if items.count != others.count { return "\(path): \(items.count) vs \(others.count) items" }
            for (index, pair) in zip(items, others).enumerated() {
                if let d = compare(pair.0, pair.1, path: "\(path)[\(index)]") { return d }
            }
            return nil
        case (.mapping(let pairs, _), .mapping(let mapping)):
            let others = Array(mapping)
            if pairs.count != others.count { return "\(path): \(pairs.count) vs \(others.count) pairs" }
            for (index, (mine, theirs)) in zip(pairs, others).enumerated() {
                if let d = compare(mine.key, theirs.key, path: "\(path).key\(index)") { return d }
                if let d = compare(mine.value, theirs.value, path: "\(path).\(mine.key.text ?? "?")") { return d }
            }
            return nil
        default:
            return "\(path): \(mini.kindDescription) vs \(yams)"
        }
    }
}

enum MiniYAMLBenchIO {
    static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return n == 0 ? data : nil }
            data.append(contentsOf: buffer[0..<n])
        }
    }
}
