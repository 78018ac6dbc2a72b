import Foundation

/// An HTTP answer: status, headers (names lower-cased) and body.
public struct HTTPResponse: Sendable {
    /// The status code.
    public let status: Int
    /// Header fields, names lower-cased; the last value wins.
    public let headers: [String: String]
    /// The body bytes.
    public let body: Data

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as a JSON object, or nil.
    public var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
    }
}

/// HTTP requests through the real curl, which also sends bodies on GET as the original protocol needs.
public enum HTTP {
    /// Sends one request; throws only when curl cannot get an answer at all (connection refused, timeout).
    public static func request(
        _ method: String, _ url: String, headers: [String: String] = [:], body: Data? = nil,
        timeout: Duration = .seconds(10)
    ) async throws -> HTTPResponse {
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        var arguments = [
            "curl", "--silent", "--show-error", "--http1.1", "--max-time", String(format: "%.1f", seconds),
            "--request", method,
        ]
        // HEAD: `--head` writes the headers to stdout already; dumping them too would leave a second copy as the body.
        arguments += method == "HEAD" ? ["--head"] : ["--dump-header", "-"]
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            arguments += ["--header", "\(name): \(value)"]
        }
        var bodyFile: URL?
        if let body {
            let file = Command.scratchFile(".body")
            try body.write(to: file)
            bodyFile = file
            arguments += ["--data-binary", "@" + file.path]
        }
        defer { if let bodyFile { try? FileManager.default.removeItem(at: bodyFile) } }
        arguments.append(url)
        let result = try await Command.run(arguments, timeout: timeout + .seconds(5))
        guard result.status == 0 else {
            throw SystemTestError("\(method) \(url): curl exited \(result.status): \(result.errorOutput)")
        }
        return try parse(result.stdout, what: "\(method) \(url)")
    }

    /// GET, optionally with a bearer secret.
    public static func get(_ url: String, bearer: String? = nil, timeout: Duration = .seconds(10)) async throws
        -> HTTPResponse
    {
        try await request(
            "GET", url, headers: bearer.map { ["Authorization": "Bearer \($0)"] } ?? [:], timeout: timeout)
    }

    /// Sends a JSON object as the body.
    public static func json(
        _ method: String, _ url: String, _ object: [String: Any], headers: [String: String] = [:]
    ) async throws -> HTTPResponse {
        let body = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        var all = headers
        all["Content-Type"] = "application/json"
        return try await request(method, url, headers: all, body: body)
    }

    /// Splits curl's `--dump-header -` output into the last header block and the body.
    static func parse(_ data: Data, what: String) throws -> HTTPResponse {
        let bytes = [UInt8](data)
        var start = 0
        var status = 0
        var headers: [String: String] = [:]
        // Several header blocks appear for 1xx answers; the last one is the real answer.
        while bytes.count - start >= 5, String(decoding: bytes[start..<start + 5], as: UTF8.self) == "HTTP/" {
            guard let end = find([13, 10, 13, 10], in: bytes, from: start) else {
                throw SystemTestError("\(what): answer without the end of its headers")
            }
            let block = String(decoding: bytes[start..<end], as: UTF8.self)
            let lines = block.components(separatedBy: "\r\n")
            let statusParts = lines[0].split(separator: " ")
            status = statusParts.count > 1 ? Int(statusParts[1]) ?? 0 : 0
            headers = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let name = line[..<colon].lowercased()
                headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            start = end + 4
        }
        guard status != 0 else { throw SystemTestError("\(what): no HTTP status line in the answer") }
        return HTTPResponse(status: status, headers: headers, body: Data(bytes[start...]))
    }

    private static func find(_ needle: [UInt8], in bytes: [UInt8], from: Int) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        var index = from
        while index + needle.count <= bytes.count {
            if bytes[index..<index + needle.count].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
