import Foundation
import ProstagmaProtocol
import Testing

@testable import ServerCore

/// openapi.yaml and ProstagmaProtocol checked against each other: every schema has its wire type, and every
/// example and schema-shaped sample decodes with that type and encodes back to a body the schema accepts, with
/// nothing lost on the way.
@Suite(.timeLimit(.minutes(2)))
struct ContractTests {
    /// One schema of the document and the wire type that speaks it.
    struct Contract: Sendable, CustomStringConvertible {
        let schema: String
        let type: String
        /// Decodes a body, encodes it, decodes that again; throws when the two decoded values differ.
        let roundTrip: @Sendable (Data) throws -> Data
        var description: String { "\(schema) ↔ \(type)" }

        static func of<T: Codable & Equatable & Sendable>(_ schema: String, _ type: T.Type) -> Contract {
            Contract(schema: schema, type: "\(T.self)") { data in
                let value = try JSONDecoder().decode(T.self, from: data)
                let encoded = try JSONEncoder().encode(value)
                let again = try JSONDecoder().decode(T.self, from: encoded)
                guard again == value else {
                    throw ProtocolError(.invalidField, "\(T.self) changed on a round trip: \(value) → \(again)")
                }
                return encoded
            }
        }
    }

    static let contracts: [Contract] = [
        .of("Error", ErrorBody.self),
        .of("SecretTrigger", OriginalAPI.TriggerRequest.self),
        .of("SecretURL", OriginalAPI.CacheRequest.self),
        .of("Count", OriginalAPI.TriggerCount.self),
        .of("Cached", OriginalAPI.Cached.self),
        .of("TriggerState", TriggerState.self),
        .of("TriggerList", TriggerList.self),
        .of("DeployOutcome", DeployOutcome.self),
        .of("Step", RunReport.Step.self),
        .of("Run", RunReport.self),
        .of("RunList", RunList.self),
        .of("RunCreated", RunCreated.self),
        .of("Agent", AgentSummary.self),
        .of("AgentList", AgentList.self),
        .of("Health", Health.self),
        .of("ReleaseSource", ReleaseSource.self),
        .of("ForgePush", ForgePush.self),
        .of("ReleaseOutcome", ReleaseOutcome.self),
        .of("Release", Release.self),
        .of("ReleaseList", ReleaseList.self),
        .of("IncrementRequest", IncrementRequest.self),
        .of("RollbackRequest", RollbackRequest.self),
        .of("RolloutPolicy", RolloutPolicy.self),
        .of("RolloutAgent", RolloutAgent.self),
        .of("Rollout", Rollout.self),
    ]

    static let spec = OpenAPISpec.served

    @Test func everySchemaHasAWireTypeAndEveryWireTypeASchema() {
        #expect(Set(Self.contracts.map(\.schema)) == Set(Self.spec.schemas.keys))
    }

    /// Decodes `body` with the contract's type, encodes it back, and checks the result against the schema and
    /// against `body`: every non-null field of `body` must come back with the same value.
    func check(_ body: JSONValue, _ contract: Contract, _ what: String) {
        let schema = Self.spec.schema(named: contract.schema)
        #expect(Self.spec.violations(of: body, against: schema) == [], "\(what) breaks its own schema")
        do {
            let encoded = try JSONValue.parse(Array(try contract.roundTrip(body.data)))
            #expect(
                Self.spec.violations(of: encoded, against: schema) == [], "\(contract) encodes \(what) as \(encoded)")
            for loss in Self.losses(from: body, in: encoded, at: "$") {
                Issue.record("\(contract) loses \(loss) of \(what)")
            }
        } catch {
            Issue.record("\(contract) cannot decode \(what) \(body): \(error)")
        }
    }

    /// Where `encoded` lacks or changed a non-null value of `original` (extra fields and `null`s it adds are fine).
    static func losses(from original: JSONValue, in encoded: JSONValue, at path: String) -> [String] {
        switch (original, encoded) {
        case (.null, _):
            return []
        case (.object(let fields), .object(let back)):
            return fields.sorted { $0.key < $1.key }.flatMap { key, value in
                losses(from: value, in: back[key] ?? .null, at: "\(path).\(key)")
            }
        case (.array(let items), .array(let back)) where items.count == back.count:
            return zip(items, back).enumerated().flatMap { index, pair in
                losses(from: pair.0, in: pair.1, at: "\(path)[\(index)]")
            }
        case (.int(let a), .double(let b)) where Double(a) == b:
            return []
        case (.double(let a), .int(let b)) where a == Double(b):
            return []
        default:
            return original == encoded ? [] : ["\(path) (\(original) came back as \(encoded))"]
        }
    }

    @Test(arguments: contracts)
    func everyExampleDecodesAndEncodesBack(_ contract: Contract) throws {
        let examples = try #require(
            Self.spec.schema(named: contract.schema)["examples"]?.array, "\(contract.schema) has no examples")
        #expect(!examples.isEmpty)
        for (index, example) in examples.enumerated() { check(example, contract, "example \(index + 1)") }
    }

    @Test(arguments: contracts)
    func schemaShapedSamplesDecodeAndEncodeBack(_ contract: Contract) {
        let schema = Self.spec.schema(named: contract.schema)
        check(Self.spec.sample(of: schema, full: true), contract, "the full sample")
        check(Self.spec.sample(of: schema, full: false), contract, "the minimal sample")
    }

    @Test func theCheckerFindsWhatIsWrong() throws {
        let run = Self.spec.schema(named: "Run")
        let body = try JSONValue.parse(
            Array(#"{"agent": 1, "trigger": "t", "status": "exploded", "extra": true}"#.utf8))
        let problems = Self.spec.violations(of: body, against: run)
        #expect(problems.contains { $0.contains("$.agent") && $0.contains("not of type string") })
        #expect(problems.contains { $0.contains("lacks the required 'count'") })
        #expect(problems.contains { $0.contains("$.status") && $0.contains("not one of") })
        #expect(problems.contains { $0.contains("'extra'") })
        let agent = try JSONValue.parse(
            Array(
                #"{"name": "a", "triggers": [], "state": "live", "last_seen": "noon", "poll_interval_seconds": 5}"#.utf8
            ))
        #expect(
            Self.spec.violations(of: agent, against: Self.spec.schema(named: "Agent")) == [
                "$.last_seen: 'noon' is not a date-time"
            ])
    }

    @Test func theIncrementAnswersMatchExactlyOneBranchOfItsOneOf() throws {
        let schema = try #require(Self.spec.responseSchema("post", "/v1/triggers/{name}", status: 200))
        for name in ["TriggerState", "DeployOutcome"] {
            for example in Self.spec.schema(named: name)["examples"]?.array ?? [] {
                #expect(Self.spec.violations(of: example, against: schema) == [], "a \(name) example")
            }
        }
        // Real validators (schemathesis) allow unlisted keys unless a schema is closed: TriggerState must be.
        #expect(Self.spec.schema(named: "TriggerState")["additionalProperties"] == .bool(false))
    }

    @Test func theCheckerHoldsParamsToTheirRules() throws {
        let release = Self.spec.schema(named: "Release")
        var body = Self.spec.sample(of: release, full: false)
        guard case .object(var fields) = body else { throw ProtocolError(.invalidField, "the sample is no object") }
        fields["params"] = .object(["bad-name": .string("x"), "n": .int(1)])
        body = .object(fields)
        let problems = Self.spec.violations(of: body, against: release)
        #expect(problems.contains { $0.contains("key 'bad-name'") && $0.contains("does not match") })
        #expect(problems.contains { $0.contains("$.params.n") && $0.contains("not of type string") })
        let many = JSONValue.object(
            Dictionary(uniqueKeysWithValues: (0..<33).map { ("p\($0)", JSONValue.string("v")) }))
        fields["params"] = many
        #expect(
            Self.spec.violations(of: .object(fields), against: release).contains { $0.contains("over maxProperties") })
    }

    @Test func aTypeThatDropsAFieldIsCaught() throws {
        /// A stand-in for a wire type whose author forgot `log_tail`.
        struct Forgetful: Codable, Equatable {
            var agent: String
            var trigger: String
            var count: Int64
            var status: String
        }

        let body = Self.spec.sample(of: Self.spec.schema(named: "Run"), full: true)
        let encoded = (try? Contract.of("Run", Forgetful.self).roundTrip(body.data)).flatMap {
            try? JSONValue.parse(Array($0))
        }
        let back = try #require(encoded, "the stand-in decodes the sample")
        #expect(Self.losses(from: body, in: back, at: "$").contains { $0.hasPrefix("$.log_tail") })
    }
}
