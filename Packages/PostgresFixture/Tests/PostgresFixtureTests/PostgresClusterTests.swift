import Foundation
import PostgresFixture
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The fixture itself: a cluster starts on 127.0.0.1, takes SQL, survives a restart, and `stop()` leaves no process
/// and no directory behind.
@Suite(.timeLimit(.minutes(3))) struct PostgresClusterTests {
    @Test func aClusterStartsAnswersRestartsAndStopsCleanly() async throws {
        let cluster = try await PostgresCluster.start()
        do {
            let pid = try #require(cluster.serverPID)
            #expect(PostgresCluster.isRunning(pid), "the postmaster runs")
            #expect(cluster.url().hasPrefix("postgres://\(PostgresCluster.user):"))
            #expect(cluster.url().contains("@127.0.0.1:\(cluster.port)/postgres"))
            let url = try await cluster.createDatabase("fixture")
            #expect(url.hasSuffix("/fixture"))
            #expect(try await cluster.psql("SELECT 40 + 2", database: "fixture") == "42\n")
            try await cluster.restart()
            #expect(try await cluster.psql("SELECT current_database()", database: "fixture") == "fixture\n")
        } catch {
            try? await cluster.stop()
            throw error
        }
        let restarted = try #require(cluster.serverPID)
        try await cluster.stop()
        #expect(!PostgresCluster.isRunning(restarted), "the postmaster is gone")
        #expect(!FileManager.default.fileExists(atPath: cluster.directory))
    }
}
