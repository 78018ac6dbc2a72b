import Foundation
import NIOCore

/// Which network addresses the server may fetch artifacts from (SSRF posture, docs/operations.md).
///
/// Every hop of a fetch (the first URL and each redirect) is resolved once, the resolved address is checked
/// here, and the connection goes to exactly that address (so a second DNS answer cannot swap it).
public struct AddressPolicy: Sendable, Equatable, CustomStringConvertible {
    /// Networks refused.
    public var denied: [IPNetwork]
    /// The names given in configuration (keywords and CIDRs), for messages.
    public var names: [String]

    /// Named groups `PROSTAGMA_DENIED_NETWORKS` accepts besides CIDRs.
    public static let groups: [String: [String]] = [
        "link-local": ["169.254.0.0/16", "fe80::/10"],
        "metadata": ["169.254.169.254/32", "fd00:ec2::254/128", "100.100.100.200/32"],
        "loopback": ["127.0.0.0/8", "::1/128", "0.0.0.0/8", "::/128"],
        "private": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"],
    ]
    /// The default: link-local and cloud metadata addresses.
    public static let defaultNames = ["link-local", "metadata"]

    /// The default policy.
    public static let `default` = AddressPolicy(
        denied: defaultNames.flatMap { groups[$0] ?? [] }.compactMap(IPNetwork.init), names: defaultNames)

    /// No address refused (`none`).
    public static let allowAll = AddressPolicy(denied: [], names: ["none"])

    init(denied: [IPNetwork], names: [String]) {
        self.denied = denied
        self.names = names
    }

    /// Parses keywords (`link-local`, `metadata`, `loopback`, `private`, `none`) and CIDRs (`10.1.0.0/16`).
    public init(parsing entries: [String]) throws(ServerError) {
        var denied: [IPNetwork] = []
        for entry in entries {
            let lower = entry.lowercased()
            if lower == "none" { continue }
            if let group = Self.groups[lower] {
                denied += group.compactMap(IPNetwork.init)
            } else if let network = IPNetwork(lower) {
                denied.append(network)
            } else {
                throw .configuration(
                    "PROSTAGMA_DENIED_NETWORKS entry '\(entry)' is neither a CIDR (e.g. 10.0.0.0/8, fd00::/8) nor one of "
                        + "link-local, metadata, loopback, private, none")
            }
        }
        self.init(denied: denied, names: entries)
    }

    public var description: String { names.joined(separator: ",") }

    /// The refused network that holds `address`, or nil when it may be fetched from.
    public func refusal(for address: SocketAddress) -> IPNetwork? {
        guard let bytes = IPNetwork.bytes(of: address) else { return nil }
        return denied.first { $0.contains(bytes) }
    }
}

/// An IPv4 or IPv6 network in CIDR notation.
public struct IPNetwork: Sendable, Equatable, CustomStringConvertible {
    let address: [UInt8]
    let prefix: Int

    /// Parses `a.b.c.d/n`, `x::y/n`, or a bare address (a /32 or /128).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let bytes = Self.parse(String(parts[0])) else { return nil }
        let maximum = bytes.count * 8
        if parts.count == 2 {
            guard let prefix = Int(parts[1]), (0...maximum).contains(prefix) else { return nil }
            self.prefix = prefix
        } else {
            self.prefix = maximum
        }
        self.address = bytes
    }

    public var description: String {
        let text = (try? SocketAddress(packedIPAddress: ByteBuffer(bytes: address), port: 0))?.ipAddress
        return "\(text ?? "\(address)")/\(prefix)"
    }

    func contains(_ bytes: [UInt8]) -> Bool {
        guard bytes.count == address.count else {
            // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is checked as the IPv4 address it is.
            if bytes.count == 16, address.count == 4, bytes[0..<10].allSatisfy({ $0 == 0 }),
                bytes[10] == 0xff, bytes[11] == 0xff
            {
                return contains(Array(bytes[12...]))
            }
            return false
        }
        var remaining = prefix
        for index in 0..<address.count where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - bits))
            if bytes[index] & mask != address[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    static func bytes(of address: SocketAddress) -> [UInt8]? {
        switch address {
        case .v4(let v4):
            var raw = v4.address.sin_addr
            return withUnsafeBytes(of: &raw) { Array($0) }
        case .v6(let v6):
            var raw = v6.address.sin6_addr
            return withUnsafeBytes(of: &raw) { Array($0) }
        default:
            return nil
        }
    }
}
