import Foundation
import MiniYAML
import ProstagmaProtocol

/// The server's configuration file (`PROSTAGMA_CONFIG`, `--config`), YAML:
///
/// ```yaml
/// policies:                 # rollout policies by trigger, as PUT /v1/triggers/{name}/policy takes them
///   web:
///     max_parallel: 20%
///     canary: 1
///     canary_soak: 300
///   api: {max_parallel: 2, auto_rollback: true}
/// ```
///
/// A trigger named here gets this policy at every start, and its policy cannot be changed with `PUT` or `DELETE`
/// (409): the file is the one place it is set (docs/decisions.md, "Policies from the configuration file"). Other
/// triggers' policies are set through the API as before.
public struct ServerConfigurationFile: Sendable, Equatable {
    /// Rollout policies by trigger.
    public var policies: [String: RolloutPolicy]
    /// The file's path, for messages.
    public var path: String

    /// One trigger's policy: the wire's fields, and a typo among them is an error, not a silent default.
    private struct Entry: Decodable {
        static let fields = ["max_parallel", "canary", "canary_soak", "halt_on_failure", "auto_rollback"]
        var policy: RolloutPolicy

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyKey.self)
            for key in container.allKeys where !Self.fields.contains(key.stringValue) {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: container,
                    debugDescription: "unknown field '\(key.stringValue)'; a policy has: "
                        + Self.fields.joined(separator: ", "))
            }
            policy = try RolloutPolicy(from: decoder)
        }
    }

    private struct Body: Decodable {
        var policies: [String: Entry]?

        enum CodingKeys: String, CodingKey, CaseIterable { case policies }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyKey.self)
            for key in container.allKeys where CodingKeys(rawValue: key.stringValue) == nil {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: container,
                    debugDescription: "unknown section '\(key.stringValue)'; the file has: policies")
            }
            policies = try container.decodeIfPresent([String: Entry].self, forKey: AnyKey("policies"))
        }
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { return nil }
    }

    /// Reads and checks the file at `path`: a clear error with file, line and column for YAML it cannot read, and
    /// the trigger for an invalid name or policy.
    public static func load(_ path: String) throws(ServerError) -> ServerConfigurationFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .configuration("cannot read the configuration file \(path) (PROSTAGMA_CONFIG): \(error)")
        }
        return try parse(text, path: path)
    }

    /// Parses the file's `text` (see ``load(_:)``).
    public static func parse(_ text: String, path: String) throws(ServerError) -> ServerConfigurationFile {
        // A file of only comments and blank lines configures nothing (YAML calls it an empty stream).
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        if lines.allSatisfy({ $0.isEmpty || $0.hasPrefix("#") }) {
            return ServerConfigurationFile(policies: [:], path: path)
        }
        let body: Body
        do {
            body = try YAMLDecoder().decode(Body.self, from: text, fileName: path)
        } catch {
            throw .configuration("configuration file \(error)")
        }
        var policies: [String: RolloutPolicy] = [:]
        for (trigger, entry) in body.policies ?? [:] {
            do throws(ServerError) {
                try Validator.checkTriggerName(trigger)
            } catch {
                throw .configuration("\(path): policies: \(error.detail)")
            }
            do throws(ProtocolError) {
                policies[trigger] = try entry.policy.validated()
            } catch {
                throw .configuration("\(path): policies.\(trigger).\(error.message)")
            }
        }
        return ServerConfigurationFile(policies: policies, path: path)
    }
}
