import Foundation
import HTTPCore
import ProstagmaProtocol

/// The status page's buttons: `POST /status/triggers/{name}/{action}` with a form body `csrf=TOKEN`
/// (docs/decisions.md, "Status page forms"). Authenticated as the page is (Basic, the secret or a token with the
/// trigger's `trigger:` scope as password), and
/// refused with 403 unless the form carries a token the page issued (``StatusFormToken``). A success answers
/// 303 back to the trigger's rollout on the page; a refusal is a short HTML page that says why, with its status.
extension ServerRoutes {
    /// What a status page button asks for.
    enum StatusFormAction: String, CaseIterable {
        case pause, resume, promote, abort, rollback
    }

    /// The note of a release made by the page's Rollback button.
    static let statusPageRollbackNote = "Rolled back from the status page"
    /// The `requested_by` of such a release.
    static let statusPageRequester = "status page"

    func addStatusFormRoutes(to router: inout Router) {
        router.post("/status/triggers/:name/:action") { request, _ in
            let name = request.parameters["name"] ?? ""
            let text = request.parameters["action"] ?? ""
            if let refusal = await statusPageRefusal(request, needs: [.trigger(name)]) { return refusal }
            do throws(ServerError) {
                let fields = Self.formFields(Self.bytes(request))
                guard components.statusFormToken.accepts(fields["csrf"], now: components.now()) else {
                    throw .forbidden(
                        fields["csrf"] == nil
                            ? "the form carries no CSRF token: use the buttons of the status page"
                            : "the form's CSRF token is not valid (expired or forged): reload the status page")
                }
                try Validator.checkTriggerName(name)
                guard let action = StatusFormAction(rawValue: text) else {
                    let actions = StatusFormAction.allCases.map(\.rawValue).joined(separator: ", ")
                    throw .notFound("'\(text)' is not a status page action; expected one of \(actions)")
                }
                switch action {
                case .rollback:
                    _ = try await components.rollback(
                        name, to: .previous, note: Self.statusPageRollbackNote,
                        requestedBy: Self.statusPageRequester)
                default:
                    _ = try await components.rollouts.control(
                        name, action: RolloutCoordinator.Action(rawValue: action.rawValue)!, now: components.now())
                }
                var response = HTTPResponse(status: .seeOther)
                response.headers.add(name: "location", value: "/#\(StatusPage.anchor(forRollout: name))")
                response.headers.add(name: "cache-control", value: "no-store")
                return response
            } catch {
                return Self.statusFormError(error, action: text, trigger: name)
            }
        }
    }

    /// A refused button as a small page: the status, what was refused and why, and a way back.
    static func statusFormError(_ error: ServerError, action: String, trigger: String) -> HTTPResponse {
        let html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Prostagma: \(error.status) \
            \(StatusPage.escape(error.code))</title></head>
            <body><h1>\(StatusPage.escape(action)) of \(StatusPage.escape(trigger)) refused (\(error.status))</h1>
            <p id="error" data-code="\(StatusPage.escape(error.code))">\(StatusPage.escape(error.detail))</p>
            <p><a href="/">Back to the status page</a></p></body></html>

            """
        var response = HTTPResponse(
            status: HTTPResponseStatus(statusCode: error.status), text: html, contentType: StatusPage.contentType)
        response.headers.add(name: "content-security-policy", value: "default-src 'none'")
        response.headers.add(name: "cache-control", value: "no-store")
        return response
    }

    /// The fields of an `application/x-www-form-urlencoded` body (the first of a repeated name wins).
    static func formFields(_ body: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: body.prefix(4096), as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String? {
                text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
            guard let key = decode(parts[0]), fields[key] == nil else { continue }
            fields[key] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}
