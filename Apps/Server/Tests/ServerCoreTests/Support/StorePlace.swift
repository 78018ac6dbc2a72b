import Foundation
import Logging
import PostgresFixture
import Synchronization
import Testing

@testable import ServerCore

/// The two ``ServerStore``s; store tests take one as their argument and run against both.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// A fresh, empty place for a store of one kind (a temporary directory, or a new database in the suite's
/// PostgreSQL cluster). ``open(runRetention:)`` opens the store there, again after a close as a restart would.
final class StorePlace: Sendable {
    let kind: StoreKind
    /// The directory (SQLite) or the database URL (PostgreSQL).
    let location: String
    private let opened = Mutex<[any ServerStore]>([])

    init(kind: StoreKind, location: String) {
        self.kind = kind
        self.location = location
    }

    /// Opens the store; it is closed when the place goes away, if the test did not close it.
    func open(runRetention: Int = SQLiteStore.defaultRunRetention) async throws -> any ServerStore {
        let store: any ServerStore
        switch kind {
        case .sqlite:
            store = try SQLiteStore(directory: location, runRetention: runRetention)
        case .postgres:
            store = try await PostgresStore(
                url: try DatabaseURL(parsing: location), logger: Logger(label: "test"), runRetention: runRetention)
        }
        opened.withLock { $0.append(store) }
        return store
    }

    func closeAll() async {
        for store in opened.withLock({ $0 }) { try? await store.close() }
    }
}

/// Runs `body` with a fresh place of `kind`; a PostgreSQL place needs the ``PostgresClusterTrait`` on the suite.
func withStorePlace<T>(_ kind: StoreKind, _ body: (StorePlace) async throws -> T) async throws -> T {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    let place: StorePlace
    switch kind {
    case .sqlite:
        place = StorePlace(kind: kind, location: directory.path)
    case .postgres:
        let cluster = try #require(PostgresClusterTrait.current, "the suite needs the .postgresCluster trait")
        let name = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        place = StorePlace(kind: kind, location: try await cluster.createDatabase(name))
    }
    do {
        let result = try await body(place)
        await place.closeAll()
        return result
    } catch {
        await place.closeAll()
        throw error
    }
}

/// Starts a throwaway PostgreSQL cluster for the suite it is put on and stops it (by `pg_ctl stop`, then its PID)
/// when the suite ends; each test makes its own database in it.
struct PostgresClusterTrait: SuiteTrait, TestScoping {
    @TaskLocal static var current: PostgresCluster?

    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let cluster = try await PostgresCluster.start()
        do {
            try await Self.$current.withValue(cluster) { try await function() }
        } catch {
            try? await cluster.stop()
            throw error
        }
        try await cluster.stop()
    }
}

extension Trait where Self == PostgresClusterTrait {
    /// A throwaway PostgreSQL cluster for the suite (``PostgresClusterTrait``).
    static var postgresCluster: Self { PostgresClusterTrait() }
}
