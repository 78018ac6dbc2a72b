/// Where a request goes, parsed from an `http://` or `https://` URL: the connection's key and the request line.
struct RequestTarget: Sendable, Hashable {
    /// The origin a connection is made to (and kept alive for).
    struct Origin: Sendable, Hashable {
        /// True for `https`.
        var tls: Bool
        /// The host name or IP address, without the brackets of an IPv6 literal.
        var host: String
        var port: Int

        /// The `Host` header: the port only when it is not the scheme's default, an IPv6 literal in brackets.
        var hostHeader: String {
            let name = host.contains(":") ? "[\(host)]" : host
            return port == (tls ? 443 : 80) ? name : "\(name):\(port)"
        }

        /// `http://host:port`, for resolving redirects.
        var text: String { "\(tls ? "https" : "http")://\(hostHeader)" }

        /// Whether `host` is an IP address (SNI carries names only; the certificate is checked against the address).
        var hostIsAddress: Bool {
            host.contains(":") || (!host.isEmpty && host.allSatisfy { $0 == "." || $0.isASCII && $0.isNumber })
        }
    }

    var origin: Origin
    /// The path and query, as sent in the request line (`/` when the URL has no path).
    var pathAndQuery: String

    /// Why a URL was refused, in words.
    struct Invalid: Error, CustomStringConvertible {
        var reason: String
        var description: String { reason }
    }

    /// Parses `url`; the fragment is dropped, user info is refused.
    init(_ url: String) throws(Invalid) {
        guard let schemeEnd = url.firstRange(of: "://") else { throw Invalid(reason: "the URL has no scheme") }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        let tls: Bool
        switch scheme {
        case "http": tls = false
        case "https": tls = true
        default: throw Invalid(reason: "unsupported scheme \"\(scheme)\" (http and https only)")
        }
        var rest = url[schemeEnd.upperBound...]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = String(rest[authorityEnd...])
        if path.isEmpty {
            path = "/"
        } else if path.hasPrefix("?") {
            path = "/" + path
        }
        guard !authority.contains("@") else { throw Invalid(reason: "user info in URLs is not supported") }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw Invalid(reason: "the IPv6 address has no closing bracket")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw Invalid(reason: "unexpected text after the IPv6 address") }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw Invalid(reason: "the URL has no host") }
        guard path.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "\u{7F}" && $0.asciiValue! >= 0x20 }) else {
            throw Invalid(reason: "the path holds spaces, control or non-ASCII characters")
        }
        var port = tls ? 443 : 80
        if let portText, !portText.isEmpty {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw Invalid(reason: "invalid port \"\(portText)\"")
            }
            port = value
        }
        origin = Origin(tls: tls, host: String(host).lowercased(), port: port)
        pathAndQuery = path
    }

    /// The absolute URL a `Location` value names, relative to this target.
    func resolve(_ location: String) -> String {
        if location.contains("://") { return location }
        if location.hasPrefix("//") { return (origin.tls ? "https:" : "http:") + location }
        if location.hasPrefix("/") { return origin.text + location }
        let path = pathAndQuery.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let directory = path[...(path.lastIndex(of: "/") ?? path.startIndex)]
        return origin.text + directory + location
    }
}
