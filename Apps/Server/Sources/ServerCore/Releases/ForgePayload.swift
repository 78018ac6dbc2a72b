import Foundation
import ProstagmaProtocol

/// Reads what a forge's push webhook says about the push (ref, commit, pusher), leniently.
///
/// A webhook increments whatever its payload holds: a body that is not JSON, not an object, or lacks a field
/// still makes its release, with the fields that were there (ping events and tag pushes included). Only string
/// values are taken, each cut to ``maximumFieldLength`` characters, so a payload cannot grow the store.
public enum ForgePayload {
    /// The longest ref, commit or pusher kept.
    public static let maximumFieldLength = 1024

    /// A GitHub or Gitea push: `ref`, `after` (or `head_commit.id`), `pusher.name`. GitHub may send the JSON as
    /// the `payload` field of a form (`application/x-www-form-urlencoded`), which is read too.
    public static func githubPush(_ body: [UInt8], contentType: String?) -> ForgePush {
        let object = self.object(body, contentType: contentType)
        return ForgePush(
            ref: string(object?["ref"]),
            commit: string(object?["after"]) ?? string((object?["head_commit"] as? [String: Any])?["id"]),
            pusher: string((object?["pusher"] as? [String: Any])?["name"]))
    }

    /// A GitLab push: `ref`, `checkout_sha` (or `after`), `user_username`.
    public static func gitlabPush(_ body: [UInt8], contentType: String?) -> ForgePush {
        let object = self.object(body, contentType: contentType)
        return ForgePush(
            ref: string(object?["ref"]),
            commit: string(object?["checkout_sha"]) ?? string(object?["after"]),
            pusher: string(object?["user_username"]))
    }

    /// The payload as a JSON object, or nil when it is none. A form's `payload` field when there is one, else the
    /// body itself: `curl -d '{...}'` labels raw JSON as a form.
    static func object(_ body: [UInt8], contentType: String?) -> [String: Any]? {
        var json = Data(body)
        if let contentType, contentType.lowercased().hasPrefix("application/x-www-form-urlencoded"),
            let payload = formField("payload", in: body)
        {
            json = Data(payload.utf8)
        }
        return (try? JSONSerialization.jsonObject(with: json, options: [.fragmentsAllowed])) as? [String: Any]
    }

    /// The percent-decoded value of `name` in a form body (`+` is a space).
    static func formField(_ name: String, in body: [UInt8]) -> String? {
        let text = String(decoding: body, as: UTF8.self)
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == name else { continue }
            return String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
        }
        return nil
    }

    /// A non-empty string value, cut to ``maximumFieldLength``.
    static func string(_ value: Any?) -> String? {
        guard let text = value as? String, !text.isEmpty else { return nil }
        return text.count > maximumFieldLength ? String(text.prefix(maximumFieldLength)) : text
    }
}
