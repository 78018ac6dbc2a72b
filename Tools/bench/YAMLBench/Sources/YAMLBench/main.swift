import MiniYAML
import Yams

#if canImport(Glibc)
    import Glibc
#endif

/// Parses one ~1 MiB build-script-like document with MiniYAML and with Yams, the same bytes for both, and
/// prints a markdown table of the median MB/s over `runs` timed parses (after one warm-up each).
let arguments = CommandLine.arguments
if arguments.count > 1 && arguments[1] == "--differential" {
    exit(Differential.run(paths: Array(arguments.dropFirst(2))))
}
let runs = arguments.count > 1 ? Int(arguments[1]) ?? 7 : 7
let document = BenchDocument.make(minimumBytes: 1 << 20)
let megabytes = Double(document.utf8.count) / 1_000_000

struct Step: Decodable {
    var shell: String?
    var timeout: String?
    var download: [String: String]?
    var unzip: [String: String]?
}

struct Script: Decodable {
    var env: [String: String]
    var steps: [Step]
}

func measure(_ name: String, _ body: () throws -> Int) rethrows -> (String, Double) {
    _ = try body()
    var seconds: [Double] = []
    var checksum = 0
    for _ in 0..<runs {
        let start = ContinuousClock.now
        checksum &+= try body()
        let elapsed = ContinuousClock.now - start
        seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
    seconds.sort()
    let median = seconds[seconds.count / 2]
    if checksum == 42 { print("") }
    return (name, megabytes / median)
}

func count(_ node: MiniYAML.YAMLNode) -> Int {
    switch node {
    case .scalar: return 1
    case .sequence(let items, _): return items.reduce(1) { $0 + count($1) }
    case .mapping(let pairs, _): return pairs.reduce(1) { $0 + count($1.key) + count($1.value) }
    }
}

let results = [
    try measure("MiniYAML `YAMLParser.parse` (node tree)") { count(try YAMLParser.parse(document)) },
    try measure("Yams `compose` (node tree)") { (try Yams.compose(yaml: document)).map { _ in 1 } ?? 0 },
    try measure("MiniYAML `YAMLDecoder` (Decodable)") {
        try MiniYAML.YAMLDecoder().decode(Script.self, from: document).steps.count
    },
    try measure("Yams `YAMLDecoder` (Decodable)") {
        try Yams.YAMLDecoder().decode(Script.self, from: document).steps.count
    },
]
print(
    "Input: \(document.utf8.count) bytes (\(format3(megabytes)) MB, 1 MB = 10^6 bytes), \(runs) timed runs each, median."
)
print("")
print("| parser | MB/s |")
print("|---|---:|")
for (name, rate) in results { print("| \(name) | \(format3(rate)) |") }

func format3(_ value: Double) -> String {
    let scaled = (value * 100).rounded() / 100
    return "\(scaled)"
}
