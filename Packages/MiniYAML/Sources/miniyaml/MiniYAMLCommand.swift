import MiniYAML

#if canImport(Glibc)
    import Glibc
#endif

/// `miniyaml [FILE]`: prints the document as JSON; on an error prints `FILE:LINE:COL: message` and fails.
enum MiniYAMLCommand {
    static func run(arguments: [String]) -> Int32 {
        guard arguments.count <= 1, arguments.first.map({ !$0.hasPrefix("-") || $0 == "-" }) ?? true else {
            printError("usage: miniyaml [FILE]   (reads standard input without FILE; prints JSON)")
            return 2
        }
        let path = arguments.first ?? "-"
        let name = path == "-" ? "<stdin>" : path
        guard let bytes = readAll(path) else {
            printError("\(name): cannot read: \(String(cString: strerror(errno)))")
            return 1
        }
        do {
            let node = try YAMLParser.parse(bytes: bytes, fileName: name)
            print(node.jsonText())
            return 0
        } catch {
            printError(error.description)
            return 1
        }
    }

    private static func readAll(_ path: String) -> [UInt8]? {
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

    private static func printError(_ message: String) {
        var line = message + "\n"
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }
}
