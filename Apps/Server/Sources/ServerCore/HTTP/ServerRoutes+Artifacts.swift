import ArtifactCache
import Foundation
import HTTPCore
import ProstagmaProtocol

/// v1 artifacts: fetch through the cache, serve with ETag, SHA-256, Range and gzip pass-through.
extension ServerRoutes {
    func addArtifactRoutes(to router: inout Router) {
        router.get(
            "/v1/artifacts",
            { request, _ throws(ServerError) in
                try await authorize(request, [.agent(nil)])
                guard let url = request.query["url"], !url.isEmpty else {
                    throw .badRequest("the 'url' query parameter is required, e.g. /v1/artifacts?url=https%3A%2F%2F...")
                }
                let source = try components.validator.checkURL(url)
                let useCache: Bool
                switch request.query["cache"]?.lowercased() {
                case nil, "false", "0", "no": useCache = false
                case "true", "1", "yes": useCache = true
                case let other?: throw .badRequest("'cache' is '\(other)'; expected true or false")
                }
                _ = try noteAgent(request, trigger: nil)
                let artifact = try await components.fetcher.artifact(url, source: source, refresh: !useCache)
                return serve(artifact, request: request)
            })
    }

    /// Answers with `artifact`'s bytes: 304 on a matching `If-None-Match`, 206/416 for `Range`, the gzip
    /// blob as is when the client accepts gzip and it is stored compressed.
    func serve(_ artifact: CachedArtifact, request: HTTPRequest) -> HTTPResponse {
        let metadata = artifact.metadata
        let etag = "\"\(metadata.sha256)\""
        var headers: HTTPHeaders = [
            HeaderName.sha256.lowercased(): metadata.sha256, "accept-ranges": "bytes", "vary": "Accept-Encoding",
            "content-type": "application/octet-stream",
        ]
        if let modified = metadata.lastModified { headers.add(name: "last-modified", value: modified) }
        if let match = request.headers.first(name: "if-none-match"),
            match == "*"
                || match.split(separator: ",").contains(where: {
                    let tag = $0.trimmingCharacters(in: .whitespaces)
                    return tag == etag || tag == "W/\(etag)" || tag == "\"\(metadata.sha256)-gzip\""
                })
        {
            headers.add(name: "etag", value: etag)
            return HTTPResponse(status: .notModified, headers: headers)
        }
        let range = ByteRange.parse(request.headers.first(name: "range"), size: metadata.size)
        let acceptsGzip = Self.acceptsGzip(request.headers.first(name: "accept-encoding"))
        if metadata.storedEncoding == .gzip, acceptsGzip, range == .full {
            headers.add(name: "etag", value: "\"\(metadata.sha256)-gzip\"")
            headers.add(name: "content-encoding", value: "gzip")
            return stored(artifact, 0..<metadata.storedSize, status: .ok, headers: headers)
        }
        headers.add(name: "etag", value: etag)
        switch range {
        case .unsatisfiable:
            headers.replaceOrAdd(name: "content-range", value: "bytes */\(metadata.size)")
            headers.replaceOrAdd(name: "content-type", value: "application/json")
            return ServerRoutes.errorResponse(
                ServerError(
                    status: 416, code: "range_not_satisfiable",
                    detail: "the artifact has \(metadata.size) bytes; the requested range starts past the end"),
                extra: headers)
        case .partial(let bytes):
            headers.add(
                name: "content-range", value: "bytes \(bytes.lowerBound)-\(bytes.upperBound - 1)/\(metadata.size)")
            return original(artifact, bytes, status: .partialContent, headers: headers)
        case .full:
            return original(artifact, 0..<metadata.size, status: .ok, headers: headers)
        }
    }

    /// Sends `bytes` of the artifact's original content: straight from the blob when it is stored raw, else
    /// inflated on the fly.
    private func original(
        _ artifact: CachedArtifact, _ bytes: Range<Int64>, status: HTTPResponseStatus, headers: HTTPHeaders
    ) -> HTTPResponse {
        guard artifact.metadata.storedEncoding == .gzip else {
            return stored(artifact, bytes, status: status, headers: headers)
        }
        return streamed(
            artifact.bytes(range: bytes), length: bytes.upperBound - bytes.lowerBound, status: status,
            headers: headers, artifact)
    }

    /// Sends `bytes` of the blob as stored, from the artifact's open descriptor (with `sendfile` on a plain
    /// listener): eviction or replacement meanwhile cannot cut the body, and the bytes never pass through the
    /// server's memory.
    private func stored(
        _ artifact: CachedArtifact, _ bytes: Range<Int64>, status: HTTPResponseStatus, headers: HTTPHeaders
    ) -> HTTPResponse {
        .region(
            status: status, headers: headers, of: artifact.fileDescriptor, offset: bytes.lowerBound,
            length: bytes.upperBound - bytes.lowerBound, keepingAlive: artifact)
    }

    /// Streams the artifact's bytes inflated from its open descriptor (a gzip-stored blob for a client that does not
    /// take gzip): eviction or replacement meanwhile cannot cut the body.
    private func streamed(
        _ bytes: ArtifactByteStream, length: Int64, status: HTTPResponseStatus, headers: HTTPHeaders,
        _ artifact: CachedArtifact
    ) -> HTTPResponse {
        .stream(status: status, headers: headers, length: Int(length)) { writer in
            withExtendedLifetime(artifact) {}
            for try await chunk in bytes {
                try await writer.write(ByteBuffer(bytes: chunk))
            }
        }
    }

    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        for part in header.lowercased().split(separator: ",") {
            let fields = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.first == "gzip" || fields.first == "x-gzip" else { continue }
            if fields.dropFirst().contains(where: { $0.replacingOccurrences(of: " ", with: "") == "q=0" }) {
                return false
            }
            return true
        }
        return false
    }
}

extension ServerRoutes {
    static func errorResponse(_ error: ServerError, extra: HTTPHeaders) -> HTTPResponse {
        var response = error.response
        for (name, value) in extra where name.lowercased() != "content-type" {
            response.headers.replaceOrAdd(name: name, value: value)
        }
        return response
    }
}
