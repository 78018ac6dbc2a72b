import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Free TCP ports on 127.0.0.1, never the same one twice in this test process.
public enum FreePort {
    private static let handedOut = Mutex<Set<UInt16>>([])

    /// A port that was free a moment ago, chosen below the kernel's ephemeral range: outgoing connections
    /// (thousands in the load scenario) take ephemeral ports, and one of them could grab a port handed out
    /// here between the probe and the server's bind.
    public static func next() throws -> UInt16 {
        let low = UInt16(10_000)
        let high = ephemeralLow > low + 1_000 ? ephemeralLow : UInt16(32_768)
        for _ in 0..<200 {
            let candidate = UInt16.random(in: low..<high)
            guard handedOut.withLock({ !$0.contains(candidate) }), (try? probe(candidate)) == candidate else {
                continue
            }
            if handedOut.withLock({ $0.insert(candidate).inserted }) { return candidate }
        }
        throw SystemTestError("no free loopback port found below the ephemeral range after 200 tries")
    }

    /// The first port of `net.ipv4.ip_local_port_range` (32768 when unreadable).
    private static let ephemeralLow: UInt16 = {
        let text = FileSystem.text(URL(fileURLWithPath: "/proc/sys/net/ipv4/ip_local_port_range")) ?? ""
        return text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first.flatMap { UInt16($0) }
            ?? 32_768
    }()

    private static func probe(_ port: UInt16 = 0) throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SystemTestError("socket() failed: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw SystemTestError("bind(127.0.0.1:0) failed: \(String(cString: strerror(errno)))") }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw SystemTestError("getsockname failed: \(String(cString: strerror(errno)))") }
        return UInt16(bigEndian: address.sin_port)
    }
}
