import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A raw HTTP/1.1 server on 127.0.0.1 for client tests that need a server to misbehave: it parses requests (head and
/// `Content-Length` body), records them, and does what `script` answers for each: send bytes, send and close, close
/// without answering, or never answer. It counts the connections it accepted and those still open.
final class ScriptedServer: Sendable {
    struct Request: Sendable {
        var method: String
        var path: String
        var headers: [String: String]
        var body: [UInt8]
        /// Which accepted connection it came on (1 for the first) and its index on that connection (1 for the first).
        var connection: Int
        var indexOnConnection: Int
    }

    enum Action: Sendable {
        case respond(String)
        case respondBytes([UInt8])
        case respondAndClose(String)
        case close
        case neverAnswer
    }

    private struct State {
        var accepted = 0
        var open = 0
        var requests: [Request] = []
    }
    private let state = Mutex(State())

    var accepted: Int { state.withLock { $0.accepted } }
    var open: Int { state.withLock { $0.open } }
    var requests: [Request] { state.withLock { $0.requests } }

    /// `"HTTP/1.1 200 OK"` with `body` and its `Content-Length`, plus `headers` (each `"name: value"`).
    static func ok(_ body: String, headers: [String] = []) -> Action {
        .respond(response(status: "200 OK", body: body, headers: headers))
    }

    static func response(status: String, body: String, headers: [String] = []) -> String {
        var text = "HTTP/1.1 \(status)\r\ncontent-length: \(body.utf8.count)\r\n"
        for header in headers { text += header + "\r\n" }
        return text + "\r\n" + body
    }

    /// Runs the server for the duration of `body`, which gets its port.
    static func run<Result: Sendable>(
        script: @escaping @Sendable (Request) -> Action,
        _ body: @Sendable (ScriptedServer, Int) async throws -> Result
    ) async throws -> Result {
        let server = ScriptedServer()
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { child in
                child.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: child)
                }
            }
        let port = listener.channel.localAddress!.port!
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await listener.executeThenClose { inbound in
                    try await withThrowingDiscardingTaskGroup { connections in
                        for try await connection in inbound {
                            let number = server.state.withLock { state in
                                state.accepted += 1
                                state.open += 1
                                return state.accepted
                            }
                            connections.addTask {
                                defer { server.state.withLock { $0.open -= 1 } }
                                try? await server.serve(connection, number: number, script: script)
                            }
                        }
                    }
                }
            }
            defer { group.cancelAll() }
            return try await body(server, port)
        }
    }

    private func serve(
        _ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, number: Int,
        script: @Sendable (Request) -> Action
    ) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var buffer = ByteBuffer()
            var index = 0
            for try await chunk in inbound {
                buffer.writeImmutableBuffer(chunk)
                while var request = Self.parse(&buffer) {
                    index += 1
                    request.connection = number
                    request.indexOnConnection = index
                    state.withLock { $0.requests.append(request) }
                    switch script(request) {
                    case .respond(let text): try await outbound.write(ByteBuffer(string: text))
                    case .respondBytes(let bytes): try await outbound.write(ByteBuffer(bytes: bytes))
                    case .respondAndClose(let text):
                        try await outbound.write(ByteBuffer(string: text))
                        return
                    case .close: return
                    case .neverAnswer: break
                    }
                }
            }
        }
    }

    /// Takes one complete request off the front of `buffer`, if there is one (its connection numbers still 0).
    private static func parse(_ buffer: inout ByteBuffer) -> Request? {
        let bytes = Array(buffer.readableBytesView)
        guard let end = bytes.indices.dropLast(3).first(where: { bytes[$0..<$0 + 4].elementsEqual([13, 10, 13, 10]) })
        else {
            return nil
        }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        guard bytes.count >= end + 4 + length else { return nil }
        buffer.moveReaderIndex(forwardBy: end + 4 + length)
        buffer.discardReadBytes()
        return Request(
            method: String(requestLine[0]), path: String(requestLine.count > 1 ? requestLine[1] : ""),
            headers: headers, body: Array(bytes[(end + 4)..<(end + 4 + length)]), connection: 0, indexOnConnection: 0)
    }
}
