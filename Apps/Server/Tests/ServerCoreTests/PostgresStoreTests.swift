import Foundation
import Logging
import PostgresFixture
import ProstagmaProtocol
import Testing

@testable import ServerCore

/// What both stores keep beyond counts and runs (policies, rollouts, epochs), and what only the PostgreSQL store
/// does: migrations under an advisory lock, start errors that name the host without the password, 503 while the
/// database is away.
@Suite(.postgresCluster, .timeLimit(.minutes(3))) struct PostgresStoreTests {
    @Test(arguments: StoreKind.allCases) func aNewStoreHasANewEpochAndAReopenKeepsIt(_ kind: StoreKind) async throws {
        let (first, again) = try await withStorePlace(kind) { place in
            let store = try await place.open()
            let epoch = store.epoch
            try await store.close()
            return (epoch, try await place.open().epoch)
        }
        let second = try await withStorePlace(kind) { place in try await place.open().epoch }
        #expect(first.count == 32)
        #expect(first == again)
        #expect(first != second)
    }

    @Test(arguments: StoreKind.allCases) func policiesAndRolloutsRoundTrip(_ kind: StoreKind) async throws {
        try await withStorePlace(kind) { place in
            let store = try await place.open()
            let policy = RolloutPolicy(maxParallel: .count(2), canary: 1)
            #expect(try await store.policy(trigger: "app") == nil)
            try await store.setPolicy(policy, trigger: "app", now: Date())
            try await store.setPolicy(RolloutPolicy(), trigger: "other", now: Date())
            #expect(try await store.policy(trigger: "app") == policy)
            #expect(try await store.loadPolicies() == ["app": policy, "other": RolloutPolicy()])
            try await store.setPolicy(nil, trigger: "other", now: Date())
            #expect(try await store.loadPolicies() == ["app": policy])

            let machine = RolloutMachine(
                trigger: "app", count: 3, policy: policy, agents: ["a", "b", "c"], previous: nil,
                now: Date(timeIntervalSince1970: 1_800_000_000))
            try await store.saveRollout(of: "app") { machine }
            #expect(try await store.loadRollouts() == [machine])
            let newer = RolloutMachine(
                trigger: "app", count: 4, policy: policy, agents: ["a", "b"], previous: machine,
                now: Date(timeIntervalSince1970: 1_800_000_100))
            try await store.saveRollout(of: "app") { newer }
            try await store.saveRollout(of: "none") { nil }
            try await store.close()
            #expect(try await place.open().loadRollouts() == [newer])
        }
    }

    @Test func replicasStartingTogetherApplyTheMigrationsOnce() async throws {
        let cluster = try #require(PostgresClusterTrait.current)
        let url = try await cluster.createDatabase("together")
        let epochs = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    let store = try await PostgresStore(url: try DatabaseURL(parsing: url), logger: Logger(label: "t"))
                    defer { Task { try? await store.close() } }
                    return store.epoch
                }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(epochs.count == 1)
        let applied = try await cluster.psql("SELECT count(*) FROM schema_migrations", database: "together")
        #expect(applied.trimmingCharacters(in: .whitespacesAndNewlines) == "\(PostgresStore.migrations.count)")
        let epochRows = try await cluster.psql("SELECT count(*) FROM meta WHERE key = 'epoch'", database: "together")
        #expect(epochRows.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
    }

    @Test func aWrongPasswordIsAStartErrorNamingTheHostWithoutThePassword() async throws {
        let cluster = try #require(PostgresClusterTrait.current)
        let url = cluster.url(password: "not-the-Password-42")
        do {
            _ = try await PostgresStore(url: try DatabaseURL(parsing: url), logger: Logger(label: "t"))
            Issue.record("a wrong password was accepted")
        } catch {
            #expect(error.detail.contains("127.0.0.1:\(cluster.port)"))
            #expect(error.detail.contains("password authentication failed"))
            #expect(!error.detail.contains("not-the-Password-42"))
        }
    }

    @Test func anUnreachableHostIsAStartErrorNamingIt() async throws {
        let port = try PostgresCluster.freePort()
        let url = "postgres://prostagma:hunter2-secret@127.0.0.1:\(port)/db"
        do {
            _ = try await PostgresStore(url: try DatabaseURL(parsing: url), logger: Logger(label: "t"))
            Issue.record("an unreachable database was accepted")
        } catch {
            #expect(error.detail.contains("127.0.0.1:\(port)"))
            #expect(error.detail.contains("unreachable"))
            #expect(!error.detail.contains("hunter2-secret"))
        }
    }

    @Test func whileTheDatabaseIsAwayWritesAre503SayingSoThenItRecovers() async throws {
        // A cluster of its own: stopping the suite's would break the tests running beside this one.
        let cluster = try await PostgresCluster.start()
        do {
            let url = try await cluster.createDatabase("away")
            let store = try await PostgresStore(
                url: try DatabaseURL(parsing: url), logger: Logger(label: "t"), operationTimeout: .seconds(3))
            #expect(try await store.increment("app").count == 1)
            try await cluster.stopServer()
            do {
                _ = try await store.increment("app")
                Issue.record("an increment succeeded without a database")
            } catch {
                #expect(error.status == 503)
                #expect(error.detail.contains("unreachable"), "\(error.detail)")
            }
            try await cluster.startServer()
            var recovered: Int64?
            try await eventually("the store works again", timeout: .seconds(30), interval: .milliseconds(200)) {
                recovered = (try? await store.increment("app"))?.count
                return recovered != nil
            }
            // The failed increment was not committed.
            #expect(recovered == 2)
            try await store.close()
        } catch {
            try? await cluster.stop()
            throw error
        }
        try await cluster.stop()
    }

    @Test func databaseURLsParseAndNeverShowThePassword() throws {
        let url = try DatabaseURL(parsing: "postgres://deploy:p%40ss@db.internal:6543/prostagma?sslmode=require")
        #expect(url.user == "deploy")
        #expect(url.password == "p@ss")
        #expect(url.host == "db.internal")
        #expect(url.port == 6543)
        #expect(url.database == "prostagma")
        #expect(url.tls == .require)
        #expect("\(url)" == "postgres://deploy:***@db.internal:6543/prostagma?sslmode=require")
        let plain = try DatabaseURL(parsing: "postgresql://u@localhost/")
        #expect(plain.port == 5432 && plain.database == "u" && plain.tls == .disable && plain.password == nil)
        for bad in [
            "mysql://u:secret-pw@h/db", "postgres://u:secret-pw@/db", "postgres://u:secret-pw@h/db?sslmode=sometimes",
            "postgres://:secret-pw@h/db",
        ] {
            do {
                _ = try DatabaseURL(parsing: bad)
                Issue.record("\(bad) was accepted")
            } catch {
                #expect(!error.detail.contains("secret-pw"), "\(error.detail)")
                #expect(error.detail.contains("PROSTAGMA_DATABASE_URL"))
            }
        }
    }

    @Test func theConfigurationDescriptionHidesTheDatabasePassword() throws {
        let configuration = try ServerConfiguration.resolve(
            .init(), environment: ["PROSTAGMA_DATABASE_URL": "postgres://u:very-secret@db:5432/p"])
        #expect(configuration.databaseURL?.host == "db")
        #expect("\(configuration)".contains("store=postgres://u:***@db:5432/p"))
        #expect(!"\(configuration)".contains("very-secret"))
    }
}
