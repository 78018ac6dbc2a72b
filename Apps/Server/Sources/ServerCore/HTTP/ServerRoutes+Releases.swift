import Foundation
import HTTPCore
import ProstagmaProtocol

/// v1 releases: a trigger's history, one release, and rollback.
extension ServerRoutes {
    /// Releases per history page when `limit` is absent.
    static let defaultReleasePage = 20
    /// Most releases per history page.
    static let maximumReleasePage = 100

    func addReleaseRoutes(to router: inout Router) {
        router.get(
            "/v1/triggers/:name/releases",
            { request, _ throws(ServerError) in
                let name = request.parameters["name"] ?? ""
                try await authorize(request, [.read, .trigger(name)])
                try Validator.checkTriggerName(name)
                let before = try request.query["before"].map { text throws(ServerError) in
                    try Self.count(text, name: "before", meaning: "the count to list releases below")
                }
                let limit = try request.query["limit"].map { text throws(ServerError) in
                    guard let value = Int(text), (1...Self.maximumReleasePage).contains(value) else {
                        throw .unprocessable(
                            "limit: '\(text)' is not a page size; expected an integer from 1 to \(Self.maximumReleasePage)"
                        )
                    }
                    return value
                }
                return try json(
                    try await components.store.releases(
                        trigger: name, before: before, limit: limit ?? Self.defaultReleasePage))
            })

        router.get(
            "/v1/triggers/:name/releases/:count",
            { request, _ throws(ServerError) in
                let name = request.parameters["name"] ?? ""
                try await authorize(request, [.read, .trigger(name)])
                try Validator.checkTriggerName(name)
                let count = try Self.count(
                    request.parameters["count"] ?? "", name: "count", meaning: "the release's count")
                guard let release = try await components.store.release(trigger: name, count: count) else {
                    let current = components.hub.current(name).count
                    throw .noRelease(trigger: name, count: count, current: current, field: "count", status: 404)
                }
                return try json(release)
            })

        let rollbackDecoder = BodyDecoder(example: #"{"to": 7} or {"to": "previous", "note": "..."}"#)
        router.post(
            "/v1/triggers/:name/rollback",
            { request, context throws(ServerError) in
                let name = request.parameters["name"] ?? ""
                let principal = try await authorize(request, [.trigger(name)])
                try Validator.checkTriggerName(name)
                let wait = try deployWait(request)
                let body = try rollbackDecoder.decode(
                    RollbackRequest.self, from: Self.bytes(request), valueErrors: true)
                do throws(ProtocolError) {
                    try ReleaseRules.validate(note: body.note)
                } catch {
                    throw ServerError(error)
                }
                return try await deploy(name, wait: wait, context: context) {
                    () async throws(ServerError) -> TriggerState in
                    try await components.rollback(
                        name, to: body.to, note: body.note, requestedBy: principal.requestedBy)
                }
            })
    }

    /// Parses a count (an integer of at least 1) from the query or the path; 422 naming `name` otherwise.
    static func count(_ text: String, name: String, meaning: String) throws(ServerError) -> Int64 {
        guard let value = Int64(text), value >= 1 else {
            throw .unprocessable("\(name): '\(text)' is not a count; expected \(meaning), an integer of at least 1")
        }
        return value
    }
}
