import Foundation
import Logging
import PostgresFixture
import Testing

@testable import ServerCore

/// TLS to PostgreSQL (`sslmode=require`): against a real cluster with `ssl=on` and a self-signed certificate, the
/// connection is encrypted and the certificate verified; against a cluster without TLS the start fails saying so.
@Suite(.postgresCluster, .timeLimit(.minutes(3))) struct PostgresTLSTests {
    /// How the connections to `database` came, as the server reports them (`pg_stat_ssl`): "t" when all use TLS,
    /// "f" when none or some do not, empty when there are none. Asked over psql's own socket connection, which is
    /// to another database.
    static func tlsOfConnections(_ cluster: PostgresCluster, database: String) async throws -> String {
        try await cluster.psql(
            """
            SELECT bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
            WHERE a.datname = '\(database)' AND a.backend_type = 'client backend'
            """
        ).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func sslmodeRequireConnectsOverTLSAndVerifiesTheCertificate() async throws {
        let cluster = try await PostgresCluster.start(tls: true)
        do {
            let base = try await cluster.createDatabase("tls")
            // Trusting exactly the cluster's certificate: the connection is made, over TLS.
            let trusted = try DatabaseURL(parsing: base + "?sslmode=require&sslrootcert=\(cluster.certificatePath)")
            let store = try await PostgresStore(url: trusted, logger: Logger(label: "t"))
            #expect(try await store.increment("app").count == 1)
            #expect(try await Self.tlsOfConnections(cluster, database: "tls") == "t")
            try await store.close()
            // A plain URL reaches the same cluster without TLS: the check above can tell the two apart.
            let plain = try await PostgresStore(url: try DatabaseURL(parsing: base), logger: Logger(label: "t"))
            #expect(try await plain.increment("app").count == 2)
            #expect(try await Self.tlsOfConnections(cluster, database: "tls") == "f")
            try await plain.close()
            // The self-signed certificate is not among the system's roots: verification refuses it.
            do {
                _ = try await PostgresStore(
                    url: try DatabaseURL(parsing: base + "?sslmode=require"), logger: Logger(label: "t"))
                Issue.record("an unverifiable certificate was accepted")
            } catch {
                #expect(error.detail.contains("127.0.0.1:\(cluster.port)"), "\(error.detail)")
                #expect(error.detail.contains("TLS"), "\(error.detail)")
                #expect(error.detail.uppercased().contains("CERTIFICATE"), "\(error.detail)")
                #expect(!error.detail.contains(PostgresCluster.password), "\(error.detail)")
            }
        } catch {
            try? await cluster.stop()
            throw error
        }
        try await cluster.stop()
    }

    @Test func sslmodeRequireAgainstAClusterWithoutTLSIsAStartErrorSayingSo() async throws {
        let cluster = try #require(PostgresClusterTrait.current)
        let url = try DatabaseURL(parsing: cluster.url() + "?sslmode=require")
        do {
            _ = try await PostgresStore(url: url, logger: Logger(label: "t"))
            Issue.record("sslmode=require connected to a database without TLS")
        } catch {
            #expect(error.code == "configuration", "\(error)")
            #expect(error.detail.contains("127.0.0.1:\(cluster.port)"), "\(error.detail)")
            #expect(error.detail.contains("does not offer TLS"), "\(error.detail)")
            #expect(error.detail.contains("***@127.0.0.1"), "\(error.detail)")
            #expect(!error.detail.contains(PostgresCluster.password), "\(error.detail)")
        }
    }

    @Test func anUnreadableRootCertificateIsAStartErrorNamingTheFile() async throws {
        let cluster = try #require(PostgresClusterTrait.current)
        let missing = "/nonexistent/prostagma-root.pem"
        do {
            _ = try await PostgresStore(
                url: try DatabaseURL(parsing: cluster.url() + "?sslmode=require&sslrootcert=\(missing)"),
                logger: Logger(label: "t"))
            Issue.record("a missing sslrootcert was accepted")
        } catch {
            #expect(error.detail.contains(missing), "\(error.detail)")
            #expect(!error.detail.contains(PostgresCluster.password), "\(error.detail)")
        }
    }
}
