import Foundation
import HTTPCore
import Logging
import ProstagmaProtocol
import Testing

@testable import ServerCore

/// Issue 19, "Scoped credentials": named tokens, each limited to its scopes, kept as digests in the store.
@Suite(.timeLimit(.minutes(3))) struct ScopedTokenTests {
    /// The tokens of the matrix, by the scope each holds.
    static let scopes = ["admin", "read", "trigger:web", "trigger:api", "agent:web", "agent:api"]

    /// One route of the matrix: the request, the scopes (of ``scopes``) that may make it, and what a denial names.
    struct Route: Sendable, CustomStringConvertible {
        let method: HTTPMethod
        let path: String
        let body: String?
        let allowed: Set<String>
        let needs: String
        var description: String { "\(method.rawValue) \(path)" }
    }

    static let run = #"{"agent": "web-1", "trigger": "web", "count": 1, "status": "succeeded"}"#
    static let policy = #"{"max_parallel": 1}"#

    /// Every v1 route and the status page. The original API's routes take only the shared secret (in the body).
    static let routes: [Route] = [
        Route(
            method: .POST, path: "/v1/triggers/web", body: nil, allowed: ["admin", "trigger:web"], needs: "trigger:web"),
        Route(
            method: .GET, path: "/v1/triggers/web?wait=0", body: nil,
            allowed: ["admin", "read", "trigger:web", "agent:web"], needs: "read or trigger:web or agent:web"),
        Route(method: .GET, path: "/v1/triggers", body: nil, allowed: ["admin", "read"], needs: "read"),
        Route(
            method: .GET, path: "/v1/triggers/web/releases", body: nil, allowed: ["admin", "read", "trigger:web"],
            needs: "read or trigger:web"),
        Route(
            method: .GET, path: "/v1/triggers/web/releases/1", body: nil, allowed: ["admin", "read", "trigger:web"],
            needs: "read or trigger:web"),
        Route(
            method: .POST, path: "/v1/triggers/web/rollback", body: #"{"to": 1}"#, allowed: ["admin", "trigger:web"],
            needs: "trigger:web"),
        Route(method: .PUT, path: "/v1/triggers/web/policy", body: policy, allowed: ["admin"], needs: "admin"),
        Route(
            method: .GET, path: "/v1/triggers/web/policy", body: nil, allowed: ["admin", "read", "trigger:web"],
            needs: "read or trigger:web"),
        Route(
            method: .GET, path: "/v1/triggers/web/rollout", body: nil, allowed: ["admin", "read", "trigger:web"],
            needs: "read or trigger:web"),
        Route(
            method: .POST, path: "/v1/triggers/web/rollout/pause", body: nil, allowed: ["admin", "trigger:web"],
            needs: "trigger:web"),
        Route(method: .DELETE, path: "/v1/triggers/web/policy", body: nil, allowed: ["admin"], needs: "admin"),
        Route(
            method: .GET, path: "/v1/artifacts?url=ftp%3A%2F%2Fexample.com%2Fa", body: nil,
            allowed: ["admin", "agent:web", "agent:api"], needs: "agent:<trigger>"),
        // agent:api passes the first check (any agent) and is refused for the report's trigger.
        Route(method: .POST, path: "/v1/runs", body: run, allowed: ["admin", "agent:web"], needs: "agent:"),
        Route(method: .GET, path: "/v1/runs", body: nil, allowed: ["admin", "read"], needs: "read"),
        Route(method: .GET, path: "/v1/agents", body: nil, allowed: ["admin", "read"], needs: "read"),
        Route(method: .GET, path: "/", body: nil, allowed: ["admin", "read"], needs: "read"),
    ]

    /// Creates one token per scope of ``scopes``; returns their secrets by scope.
    static func makeTokens(_ server: TestServer) async throws -> [String: String] {
        var secrets: [String: String] = [:]
        for scope in scopes {
            let name = "t-" + scope.replacingOccurrences(of: ":", with: "-")
            secrets[scope] = try await TokenCommand.Create.create(
                name: name, scopes: [scope], in: server.components.store, now: Date()
            ).secret
        }
        return secrets
    }

    @Test func everyRouteAgainstEveryScope() async throws {
        let server = try await TestServer()
        let secrets = try await Self.makeTokens(server)
        // A release at count 1, so the rollback and the release read have something to find.
        _ = try await server.send(.POST, "/v1/triggers/web", bearer: true)
        var checked = 0
        for route in Self.routes {
            for scope in Self.scopes {
                let response = try await server.send(
                    route.method, route.path, headers: [("authorization", "Bearer \(secrets[scope]!)")],
                    body: route.body)
                let what = "\(route) with \(scope): \(response.status) \(response.text)"
                if route.allowed.contains(scope) {
                    #expect(![401, 403].contains(response.status), "\(what)")
                } else {
                    #expect(response.status == 403, "\(what)")
                    #expect(try response.json()["error"] as? String == "insufficient_scope", "\(what)")
                    let detail = try response.json()["detail"] as? String ?? ""
                    #expect(detail.contains("needs scope \(route.needs)"), "\(what)")
                    #expect(detail.contains("it has \(scope)"), "\(what)")
                }
                checked += 1
            }
            // The shared secret stays the admin credential.
            let secret = try await server.send(route.method, route.path, body: route.body, bearer: true)
            #expect(![401, 403].contains(secret.status), "\(route) with the secret: \(secret.status) \(secret.text)")
        }
        #expect(checked == Self.routes.count * Self.scopes.count)
    }

    @Test func missingAndUnknownCredentialsStayAsBefore() async throws {
        let server = try await TestServer()
        _ = try await Self.makeTokens(server)
        for route in Self.routes where route.path != "/" {
            let none = try await server.send(route.method, route.path, body: route.body)
            #expect(none.status == 401, "\(route): \(none.text)")
            let unknown = try await server.send(
                route.method, route.path,
                headers: [("authorization", "Bearer pst_" + String(repeating: "0", count: 64))],
                body: route.body)
            #expect(unknown.status == 403, "\(route): \(unknown.text)")
            #expect(try unknown.json()["error"] as? String == "forbidden", "\(route): \(unknown.text)")
        }
        let page = try await server.send(.GET, "/", headers: [("authorization", "Bearer pst_nothing")])
        #expect(page.status == 401)
        #expect(page.headers.first(name: "www-authenticate")?.hasPrefix("Basic") == true)
    }

    @Test func aTokenWithSeveralScopesMayDoWhatAnyOfThemGrants() async throws {
        let server = try await TestServer()
        let secret = try await TokenCommand.Create.create(
            name: "ci", scopes: ["read", "trigger:web,api"], in: server.components.store, now: Date()
        ).secret
        let bearer = [("authorization", "Bearer \(secret)")]
        #expect(try await server.send(.POST, "/v1/triggers/web", headers: bearer).status == 200)
        #expect(try await server.send(.POST, "/v1/triggers/api", headers: bearer).status == 200)
        #expect(try await server.send(.GET, "/v1/runs", headers: bearer).status == 200)
        let db = try await server.send(.POST, "/v1/triggers/db", headers: bearer)
        #expect(db.status == 403)
        #expect(
            try db.json()["detail"] as? String
                == "token 'ci' may not POST /v1/triggers/db: needs scope trigger:db (it has read trigger:web,api)")
        #expect(
            try await server.send(.PUT, "/v1/triggers/web/policy", headers: bearer, body: Self.policy).status == 403)
    }

    @Test func releasesRecordTheTokenThatAskedForThem() async throws {
        let server = try await TestServer()
        let store = server.components.store
        let secret = try await TokenCommand.Create.create(
            name: "ci-web", scopes: ["trigger:web"], in: store, now: Date()
        ).secret
        let bearer = [("authorization", "Bearer \(secret)")]
        #expect(try await server.send(.POST, "/v1/triggers/web", headers: bearer).status == 200)
        #expect(
            try await server.send(.POST, "/v1/triggers/web", headers: bearer, body: #"{"params": {"v": "2"}}"#).status
                == 200)
        #expect(try await server.send(.POST, "/v1/triggers/web", bearer: true).status == 200)
        #expect(
            try await server.send(.POST, "/v1/triggers/web/rollback", headers: bearer, body: #"{"to": 2}"#).status
                == 200)
        var requesters: [String?] = []
        for count in Int64(1)...4 {
            requesters.append(try await store.release(trigger: "web", count: count)?.requestedBy)
        }
        #expect(requesters == ["ci-web", "ci-web", "secret", "ci-web"])
        // On the wire too.
        let history = try await server.send(.GET, "/v1/triggers/web/releases", headers: bearer)
        #expect(history.text.contains(#""requested_by":"ci-web""#), "\(history.text)")
    }

    @Test func aGitLabWebhookMayUseATriggerToken() async throws {
        let server = try await TestServer()
        let secret = try await TokenCommand.Create.create(
            name: "gitlab-web", scopes: ["trigger:web"], in: server.components.store, now: Date()
        ).secret
        let gitlab = [("X-Gitlab-Token", secret)]
        #expect(try await server.send(.POST, "/v1/triggers/web", headers: gitlab).status == 200)
        let release = try await server.components.store.release(trigger: "web", count: 1)
        #expect(release?.source == .gitlab)
        #expect(release?.requestedBy == "gitlab-web")
        let other = try await server.send(.POST, "/v1/triggers/db", headers: gitlab)
        #expect(other.status == 403)
        #expect(other.text.contains("needs scope trigger:db"), "\(other.text)")
        // A webhook's credential still authorizes the increment alone.
        let read = try await server.send(.GET, "/v1/triggers/web", headers: gitlab)
        #expect(read.status == 403)
        #expect(read.text.contains("only authorizes POST /v1/triggers/{name}"), "\(read.text)")
    }

    @Test func theStatusPageTakesAReadTokenAsTheBasicPassword() async throws {
        let server = try await TestServer()
        let store = server.components.store
        let read = try await TokenCommand.Create.create(
            name: "viewer", scopes: ["read"], in: store, now: Date()
        ).secret
        let deploy = try await TokenCommand.Create.create(
            name: "deployer", scopes: ["trigger:web"], in: store, now: Date()
        ).secret
        func basic(_ password: String) -> [(String, String)] {
            [("authorization", "Basic " + Data("anyone:\(password)".utf8).base64EncodedString())]
        }
        let page = try await server.send(.GET, "/", headers: basic(read))
        #expect(page.status == 200)
        #expect(page.text.contains("<html"), "\(page.text.prefix(200))")
        let denied = try await server.send(.GET, "/", headers: basic(deploy))
        #expect(denied.status == 403)
        #expect(denied.text.contains("needs scope read"), "\(denied.text)")
        let wrong = try await server.send(.GET, "/", headers: basic("pst_wrong"))
        #expect(wrong.status == 401)
    }

    @Test func aRevokedTokenStopsWorkingAtOnceAndTheListShowsNoSecret() async throws {
        let server = try await TestServer()
        let store = server.components.store
        let secret = try await TokenCommand.Create.create(
            name: "ci", scopes: ["read"], in: store, now: Date()
        ).secret
        let bearer = [("authorization", "Bearer \(secret)")]
        #expect(try await server.send(.GET, "/v1/runs", headers: bearer).status == 200)
        let table = try await TokenCommand.List.table(store)
        #expect(table.contains("ci "), "\(table)")
        #expect(table.contains("read"), "\(table)")
        #expect(!table.contains("never"), "the use was recorded: \(table)")
        #expect(!table.contains(secret))
        #expect(!table.contains(AccessToken.digest(of: secret)))
        #expect(try await store.revokeToken(name: "ci"))
        #expect(try await store.revokeToken(name: "ci") == false)
        #expect(try await server.send(.GET, "/v1/runs", headers: bearer).status == 403)
        #expect(try await TokenCommand.List.table(store).hasPrefix("no tokens"))
    }

    @Test func theStoreKeepsOnlyTheDigestAndRefusesADuplicateName() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let secret: String
        do {
            let store = try SQLiteStore(directory: directory.path)
            secret = try await TokenCommand.Create.create(
                name: "ci", scopes: ["agent:web,api"], in: store, now: Date()
            ).secret
            await #expect {
                try await TokenCommand.Create.create(name: "ci", scopes: ["read"], in: store, now: Date())
            } throws: { error in
                "\(error)".contains("a token named 'ci' exists")
            }
            try await store.close()
        }
        #expect(secret.hasPrefix("pst_") && secret.count == 68, "\(secret)")
        // The database and whatever its WAL still holds.
        var database = Data()
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path)
        where name.hasPrefix(SQLiteStore.fileName) {
            database.append(try Data(contentsOf: URL(fileURLWithPath: directory.path + "/" + name)))
        }
        #expect(database.range(of: Data(secret.utf8)) == nil, "the secret is not stored")
        #expect(database.range(of: Data(AccessToken.digest(of: secret).utf8)) != nil, "its digest is")
        let reopened = try SQLiteStore(directory: directory.path)
        let token = try await reopened.token(digest: AccessToken.digest(of: secret))
        #expect(token?.name == "ci")
        #expect(token?.scopes == [.agent(["web", "api"])])
        #expect(try await reopened.token(digest: AccessToken.digest(of: secret + "x")) == nil)
        try await reopened.close()
    }

    @Test(arguments: [
        ("admin", TokenScope.admin), ("read", .read), ("trigger:web", .trigger(["web"])),
        ("trigger:web,api", .trigger(["web", "api"])), ("agent:web", .agent(["web"])),
    ])
    func scopesParseAndPrintAsWritten(text: String, scope: TokenScope) throws {
        #expect(try TokenScope(parsing: text) == scope)
        #expect(scope.description == text)
    }

    @Test(arguments: [
        ("write", "is not a scope"), ("trigger:", "the trigger name is empty"), ("trigger:web,", "is empty"),
        ("agent:..", "made only of dots"), ("deploy:web", "is not a scope"), ("trigger:a b", "' ' at position 2"),
    ])
    func aBadScopeSaysWhatIsWrong(text: String, expected: String) {
        #expect {
            try TokenScope(parsing: text)
        } throws: { error in
            let detail = (error as? ServerError)?.detail ?? ""
            return detail.contains(expected) && detail.contains(text)
        }
    }

    @Test(arguments: [("secret", "reserved"), ("auto_rollback", "reserved"), ("..", "only of dots"), ("", "empty")])
    func aBadTokenNameIsRefused(name: String, expected: String) {
        #expect {
            try AccessToken.generate(name: name, scopes: [.read], now: Date())
        } throws: { error in
            (error as? ServerError)?.detail.contains(expected) == true
        }
    }

    @Test func aTokenNeedsAScope() {
        #expect {
            try AccessToken.generate(name: "ci", scopes: [], now: Date())
        } throws: { error in
            (error as? ServerError)?.detail.contains("needs at least one --scope") == true
        }
    }

    @Test func theCommandLineHasATokenVerbAndKeepsTheServerVerb() throws {
        let create = try ServerCommand.parseCommand([
            "token", "create", "ci", "--scope", "trigger:web,api", "--scope", "read", "--data", "/d",
        ])
        let parsed = try #require(create as? TokenCommand.Create)
        #expect(parsed.name == "ci")
        #expect(parsed.scope == ["trigger:web,api", "read"])
        #expect(parsed.location.data == "/d")
        #expect(try ServerCommand.parseCommand(["token", "list"]) is TokenCommand.List)
        #expect(try (ServerCommand.parseCommand(["token", "revoke", "ci"]) as? TokenCommand.Revoke)?.name == "ci")
        #expect(try (ServerCommand.parseCommand(["server", "--data", "/d"]) as? ServerCommand)?.verb == "server")
        #expect(try ServerCommand.parseCommand(["--data", "/d"]) is ServerCommand)
        #expect(throws: (any Error).self) { try ServerCommand.parseCommand(["token", "create", "ci", "--bogus"]) }
    }

    /// No token (nor its digest) appears in any log line, whether the request is allowed, denied or unknown.
    @Test func noTokenAppearsInTheLog() async throws {
        let capture = LogCapture()
        try await withLiveServer(logger: capture.logger) { server in
            let store = server.components.store
            let secret = try await TokenCommand.Create.create(
                name: "ci", scopes: ["trigger:web"], in: store, now: Date()
            ).secret
            let wrong = "pst_" + String(repeating: "ab", count: 32)
            let bearer = [("authorization", "Bearer \(secret)")]
            #expect(try await server.send(.POST, "/v1/triggers/web", headers: bearer).status == 200)
            #expect(try await server.send(.POST, "/v1/triggers/db", headers: bearer).status == 403)
            #expect(try await server.send(.GET, "/v1/runs", headers: bearer).status == 403)
            #expect(
                try await server.send(.GET, "/v1/runs", headers: [("authorization", "Bearer \(wrong)")]).status == 403)
            #expect(
                try await server.send(.POST, "/v1/triggers/web", headers: [("X-Gitlab-Token", secret)]).status == 200)
            let log = capture.text
            #expect(log.contains("/v1/triggers"), "the access log was captured: \(log.prefix(500))")
            for text in [secret, wrong, AccessToken.digest(of: secret), String(secret.dropFirst(4).prefix(16))] {
                #expect(!log.contains(text), "\(text) is in the log")
            }
        }
    }
}
