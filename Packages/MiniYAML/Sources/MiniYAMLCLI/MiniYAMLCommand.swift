import MiniYAML

#if canImport(Glibc)
    import Glibc
#endif

/// `miniyaml [FILE]`: prints the document as JSON; on an error prints `FILE:LINE:COL: message` and fails.
public enum MiniYAMLCommand {
    /// What one invocation prints and returns.
    public struct Outcome: Equatable, Sendable {
        public var output: String
        public var error: String
        public var status: Int32

        public init(output: String, error: String, status: Int32) {
            self.output = output
            self.error = error
            self.status = status
        }
    }

    /// Runs the command: `read` returns a path's bytes ("-" is standard input), or nil when unreadable.
    public static func execute(arguments: [String], read: (String) -> [UInt8]?) -> Outcome {
        guard arguments.count <= 1, arguments.first.map({ !$0.hasPrefix("-") || $0 == "-" }) ?? true else {
            return Outcome(
                output: "", error: "usage: miniyaml [FILE]   (standard input without FILE; prints JSON)\n", status: 2)
        }
        let path = arguments.first ?? "-"
        let name = path == "-" ? "<stdin>" : path
        guard let bytes = read(path) else {
            return Outcome(output: "", error: "\(name): cannot read: \(String(cString: strerror(errno)))\n", status: 1)
        }
        do {
            let node = try YAMLParser.parse(bytes: bytes, fileName: name)
            return Outcome(output: node.jsonText() + "\n", error: "", status: 0)
        } catch {
            return Outcome(output: "", error: error.description + "\n", status: 1)
        }
    }

    /// Runs with the process's arguments, files and standard streams.
    public static func main(arguments: [String]) -> Int32 {
        let outcome = execute(arguments: arguments, read: readAll)
        write(outcome.output, to: 1)
        write(outcome.error, to: 2)
        return outcome.status
    }

    public static func readAll(_ path: String) -> [UInt8]? {
        let fd = path == "-" ? 0 : open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { if fd != 0 { close(fd) } }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { return nil }
            if n == 0 { return data }
            data.append(contentsOf: buffer[0..<n])
        }
    }

    private static func write(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n <= 0 { return }
                offset += n
            }
        }
    }
}
