import Foundation
import Logging
import PostgresNIO
import ProstagmaProtocol
import Synchronization

/// The server's state in a PostgreSQL database that any number of replicas share (`PROSTAGMA_DATABASE_URL`).
///
/// Same tables and meaning as ``SQLiteStore``; the epoch is a row of `meta`, made by the first migration. Every
/// write that other replicas must see sends a NOTIFY on ``channel`` in its own transaction (delivered on COMMIT),
/// carrying only what identifies the change; ``PostgresListener`` turns those into hub wake-ups on every replica.
///
/// Every operation is bounded by ``operationTimeout``: when the database cannot be reached the caller gets a 503
/// saying so instead of waiting for the pool to reconnect.
public final class PostgresStore: ServerStore {
    /// The NOTIFY channel. Payloads: `t <trigger>` (a count moved), `r <trigger>` (a run was reported), `p <trigger>`
    /// (a policy changed), `o <trigger>` (a rollout was saved).
    public static let channel = "prostagma"
    /// Runs kept, as ``SQLiteStore/defaultRunRetention``.
    public static let defaultRunRetention = SQLiteStore.defaultRunRetention
    /// Longest a request waits for the database before it is answered 503.
    public static let defaultOperationTimeout: Duration = .seconds(5)

    public let epoch: String
    /// Where the database is (password elided in its description).
    public let url: DatabaseURL
    let client: PostgresClient
    let logger: Logger
    let operationTimeout: Duration
    let runRetention: Int
    private let runner: Task<Void, Never>
    /// Increments share transactions (group commit).
    let batches: PostgresGroupCommit

    /// Connects to `url`, applies missing migrations (under an advisory lock, so replicas starting together apply
    /// them once) and reads the epoch. A database that cannot be reached, or refuses the credentials, is a
    /// `configuration` error naming the host and the reason, with the password elided.
    public init(
        url: DatabaseURL, logger: Logger, maximumConnections: Int = 32,
        operationTimeout: Duration = PostgresStore.defaultOperationTimeout,
        runRetention: Int = PostgresStore.defaultRunRetention
    ) async throws(ServerError) {
        self.url = url
        self.logger = logger
        self.operationTimeout = operationTimeout
        self.runRetention = runRetention
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
            tls: try Self.clientTLS(url))
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(5)
        // The pool logs connection failures at its own levels; keep them from the server log except errors.
        var background = logger
        background.logLevel = .critical
        let quiet = background
        let client = PostgresClient(configuration: configuration, backgroundLogger: background)
        self.client = client
        let runner = Task { await client.run() }
        self.runner = runner
        batches = PostgresGroupCommit(client: client, logger: logger, timeout: operationTimeout)
        do {
            // One connection of our own first: the pool retries a refused connection in the background, so only a
            // direct attempt says why (wrong password, unknown database, nothing listening).
            let probe = try Self.connectionConfiguration(for: url)
            try await Self.bounded(.seconds(15)) {
                let connection = try await PostgresConnection.connect(configuration: probe, id: 0, logger: quiet)
                try? await connection.close()
                return ()
            }
            try await Self.migrate(client: client, logger: logger, timeout: .seconds(30), url: url)
            let found: String? = try await Self.bounded(.seconds(10)) {
                var found: String?
                let rows = try await client.query("SELECT value FROM meta WHERE key = 'epoch'")
                for try await value in rows.decode(String.self) { found = value }
                return found
            }
            guard let found else { throw ServerError.configuration("the database \(url) has no epoch row in meta") }
            epoch = found
        } catch {
            runner.cancel()
            _ = await runner.value
            throw .configuration("cannot use the database \(url): \(Self.reason(error, url: url))")
        }
    }

    /// A PostgresNIO TLS setting for `url`'s `sslmode`.
    static func clientTLS(_ url: DatabaseURL) throws(ServerError) -> PostgresClient.Configuration.TLS {
        switch url.tls {
        case .disable: return .disable
        case .prefer: return .prefer(try tlsConfiguration(url))
        case .require: return .require(try tlsConfiguration(url))
        }
    }

    /// The TLS settings for `url`: full verification of the certificate and the host name, against `sslrootcert`
    /// when given (a file that cannot be read is a `configuration` error naming it), else the system's trust roots.
    static func tlsConfiguration(_ url: DatabaseURL) throws(ServerError) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let path = url.rootCertificatePath {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw .configuration("cannot use the database \(url): sslrootcert \(path) is not a readable file")
            }
            configuration.trustRoots = .file(path)
        }
        return configuration
    }

    /// A connection configuration for the listener's dedicated connection.
    func connectionConfiguration() throws(ServerError) -> PostgresConnection.Configuration {
        try Self.connectionConfiguration(for: url)
    }

    /// A configuration for one connection (not from the pool) to `url`.
    static func connectionConfiguration(for url: DatabaseURL) throws(ServerError) -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        do {
            switch url.tls {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(try NIOSSLContext(configuration: tlsConfiguration(url)))
            case .require: tls = .require(try NIOSSLContext(configuration: tlsConfiguration(url)))
            }
        } catch let error as ServerError {
            throw error
        } catch {
            throw .configuration("cannot set up TLS for \(url): \(error)")
        }
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
            tls: tls)
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    // MARK: - Errors and deadlines

    /// Runs `body`, giving up after `timeout` with a ``Timeout``: the caller resumes at the deadline even when
    /// `body` does not end then (a query on a connection the database dropped, or a ROLLBACK PostgresNIO sends after
    /// a cancelled transaction, may wait on the network); `body`'s task is cancelled and finishes on its own.
    static func bounded<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T)
        async throws -> T
    {
        let gate = Gate<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                gate.start(continuation, timeout: timeout, body)
            }
        } onCancel: {
            gate.finish(.failure(CancellationError()))
        }
    }

    /// The first of the body's outcome, the deadline and cancellation resumes the caller; the others are dropped.
    final class Gate<T: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<T, any Error>?
            var outcome: Result<T, any Error>?
            var work: Task<Void, Never>?
            var timer: Task<Void, Never>?
        }
        private let state = Mutex(State())

        func start(
            _ continuation: CheckedContinuation<T, any Error>, timeout: Duration,
            _ body: @escaping @Sendable () async throws -> T
        ) {
            let early = state.withLock { state -> Result<T, any Error>? in
                if let outcome = state.outcome { return outcome }
                state.continuation = continuation
                return nil
            }
            if let early {
                continuation.resume(with: early)
                return
            }
            let work = Task {
                do {
                    finish(.success(try await body()))
                } catch {
                    finish(.failure(error))
                }
            }
            let timer = Task {
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                finish(.failure(Timeout(after: timeout)))
            }
            let done = state.withLock { state -> Bool in
                state.work = work
                state.timer = timer
                return state.outcome != nil
            }
            if done {
                work.cancel()
                timer.cancel()
            }
        }

        func finish(_ outcome: Result<T, any Error>) {
            let (continuation, work, timer) = state.withLock {
                state -> (CheckedContinuation<T, any Error>?, Task<Void, Never>?, Task<Void, Never>?) in
                guard state.outcome == nil else { return (nil, nil, nil) }
                state.outcome = outcome
                defer { state.continuation = nil }
                return (state.continuation, state.work, state.timer)
            }
            work?.cancel()
            timer?.cancel()
            continuation?.resume(with: outcome)
        }
    }

    /// The database did not answer in time.
    struct Timeout: Error, CustomStringConvertible {
        let after: Duration
        var description: String { "no answer within \(after.components.seconds) s" }
    }

    /// Runs one operation of the store with the operation deadline; a failure is a 503 saying `what` failed and,
    /// when the database could not be reached, that it is unreachable.
    func perform<T: Sendable>(_ what: String, _ body: @escaping @Sendable (PostgresClient) async throws -> T)
        async throws(ServerError) -> T
    {
        let client = self.client
        do {
            return try await Self.bounded(operationTimeout) { try await body(client) }
        } catch let error as ServerError {
            throw error
        } catch let error as PostgresTransactionError {
            if let inner = error.closureError as? ServerError { throw inner }
            throw .unavailable("\(what): \(Self.reason(error, url: url))")
        } catch {
            throw .unavailable("\(what): \(Self.reason(error, url: url))")
        }
    }

    /// Why `error` happened, for a message: "the database at host:port is unreachable (…)" when no connection could
    /// be had, else what the server said. Never contains the password (PostgresNIO's own descriptions hide details;
    /// this picks the safe ones).
    static func reason(_ error: any Error, url: DatabaseURL) -> String {
        if let error = error as? ServerError { return error.detail }
        if error is Timeout || error is CancellationError {
            return "the database at \(url.endpoint) is unreachable (\(error is Timeout ? "\(error)" : "cancelled"))"
        }
        if let error = error as? PostgresTransactionError {
            if let inner = error.closureError ?? error.commitError ?? error.beginError {
                return reason(inner, url: url)
            }
            return "the transaction failed"
        }
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                let code = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                if error.serverInfo?[.sqlState]?.hasPrefix("28") == true
                    || error.serverInfo?[.sqlState] == "3D000" || error.serverInfo?[.sqlState]?.hasPrefix("57P") == true
                {
                    return "the database at \(url.endpoint) refused the connection: \(message)\(code)"
                }
                return "the database at \(url.endpoint) said: \(message)\(code)"
            }
            if let underlying = error.underlying, underlying is NIOSSLError || underlying is NIOSSLExtraError {
                return "TLS with the database at \(url.endpoint) failed: \(String(describing: underlying))"
            }
            switch error.code {
            case .sslUnsupported:
                return "the database at \(url.endpoint) does not offer TLS, which sslmode=\(url.tls.rawValue) requires"
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .failedToAddSSLHandler:
                let underlying = error.underlying.map { ": \(String(describing: $0))" } ?? ""
                return "the database at \(url.endpoint) is unreachable (\(error.code)\(underlying))"
            default:
                return "the database at \(url.endpoint) failed (\(error.code))"
            }
        }
        return "the database at \(url.endpoint) is unreachable (\(String(describing: error)))"
    }

    // MARK: - Triggers

    public func loadTriggers() async throws(ServerError) -> [TriggerState] {
        try await perform("cannot read triggers") { client in
            var releases: [String: Release] = [:]
            let rows = try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT \(Self.releaseColumns) FROM releases r
                        WHERE (r.trigger, r.count) IN (SELECT name, count FROM triggers)
                        """))
            for try await row in rows { let release = try Self.decodeRelease(row); releases[release.trigger] = release }
            var states: [TriggerState] = []
            let triggers = try await client.query("SELECT name, count, last_increment FROM triggers ORDER BY name")
            for try await (name, count, last) in triggers.decode((String, Int64, Double?).self) {
                states.append(
                    TriggerState(
                        trigger: name, count: count, lastIncrement: last.map(Date.init(timeIntervalSince1970:)),
                        release: releases[name]))
            }
            return states
        }
    }

    /// One trigger's committed state (count 0 when it never moved), with its current release: what a replica reads
    /// when a notification says the trigger moved.
    public func trigger(_ name: String) async throws(ServerError) -> TriggerState {
        try await perform("cannot read trigger '\(name)'") { client in
            var state = TriggerState(trigger: name, count: 0)
            let rows = try await client.query(
                "SELECT count, last_increment FROM triggers WHERE name = \(name)")
            for try await (count, last) in rows.decode((Int64, Double?).self) {
                state.count = count
                state.lastIncrement = last.map(Date.init(timeIntervalSince1970:))
            }
            if state.count > 0 {
                state.release = try await Self.fetchRelease(client, trigger: name, count: state.count)
            }
            return state
        }
    }

    public func increment(
        _ name: String, release: NewRelease, now: Date, afterCommit: (@Sendable (TriggerState) -> Void)?
    ) async throws(ServerError) -> TriggerState {
        let batches = self.batches
        let state = try await perform("the increment of '\(name)' was not committed") { _ in
            try await batches.increment(name, release: release, now: now)
        }
        // The batch's COMMIT was answered, so the count is durable before anyone hears of it. (Not a lone statement:
        // its implicit commit happens at Sync, after PostgresNIO already has the rows.)
        afterCommit?(state)
        return state
    }

    public func rollback(
        _ name: String, to target: RollbackRequest.Target, note: String?, requestedBy: String?, now: Date,
        afterCommit: (@Sendable (TriggerState) -> Void)?
    ) async throws(ServerError) -> TriggerState {
        let (logger, epoch) = (self.logger, self.epoch)
        let state = try await perform("the rollback of '\(name)' was not committed") { client in
            try await client.withTransaction(logger: logger) { connection in
                // Locks the trigger's row: a concurrent increment waits, so "previous" is decided on a fixed count.
                var current: Int64 = 0
                let rows = try await connection.query(
                    "SELECT count FROM triggers WHERE name = \(name) FOR UPDATE", logger: logger)
                for try await count in rows.decode(Int64.self) { current = count }
                let base: Release
                switch target {
                case .count(let count):
                    guard
                        let found = try await Self.fetchRelease(connection, logger: logger, trigger: name, count: count)
                    else {
                        throw ServerError.noRelease(trigger: name, count: count, current: current, field: "to")
                    }
                    base = found
                case .previous:
                    guard
                        let found = try await Self.previousRelease(
                            connection, logger: logger, trigger: name, before: current, epoch: epoch)
                    else {
                        throw ServerError.nothingToRollBackTo(trigger: name, current: current)
                    }
                    base = found
                }
                let release = NewRelease.rollback(to: base, target: target, note: note, requestedBy: requestedBy)
                return try await Self.applyIncrement(
                    connection, name: name, release: release, rollbackOf: base.count, now: now)
            }
        }
        afterCommit?(state)
        return state
    }

    /// Adds one to `name`'s count, records its release and queues the NOTIFY, in the caller's transaction.
    static func applyIncrement(
        _ connection: PostgresConnection, name: String, release: NewRelease, rollbackOf: Int64?, now: Date
    ) async throws -> TriggerState {
        let query = try incrementQuery(name: name, release: release, rollbackOf: rollbackOf, now: now)
        let rows = try await connection.query(query, logger: Logger(label: "prostagma-postgres"))
        return try await incremented(rows, name: name, release: release, rollbackOf: rollbackOf, now: now)
    }

    /// One statement that adds one to `name`'s count, inserts the release of the new count and queues the NOTIFY,
    /// answering the new count: one round trip between BEGIN and COMMIT, so the trigger's row lock is held briefly.
    static func incrementQuery(name: String, release: NewRelease, rollbackOf: Int64?, now: Date) throws
        -> PostgresQuery
    {
        let time = now.timeIntervalSince1970
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let params = String(decoding: try encoder.encode(release.params), as: UTF8.self)
        let forge = try release.forge.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        let source = release.source.rawValue
        let payload = "t \(name)"
        return """
            WITH moved AS (
                INSERT INTO triggers (name, count, last_increment) VALUES (\(name), 1, \(time))
                ON CONFLICT (name) DO UPDATE SET count = triggers.count + 1, last_increment = excluded.last_increment
                RETURNING count
            ), released AS (
                INSERT INTO releases (trigger, count, params, note, source, requested_by, forge, rollback_of, created_at)
                SELECT \(name), count, \(params), \(release.note), \(source), \(release.requestedBy), \(forge),
                    \(rollbackOf), \(time)
                FROM moved
                RETURNING count
            )
            SELECT count, pg_notify(\(channel), \(payload)) FROM released
            """
    }

    /// One row of ``batchIncrementQuery(_:)``'s input, as JSON.
    private struct BatchRow: Encodable {
        let i: Int
        let name: String
        let at: Double
        let params: String
        let note: String?
        let source: String
        let requestedBy: String?
        let forge: String?

        enum CodingKeys: String, CodingKey {
            case i, name, at, params, note, source, forge
            case requestedBy = "requested_by"
        }
    }

    /// One statement that applies a whole batch of increments (``PostgresGroupCommit``), as
    /// ``incrementQuery(name:release:rollbackOf:now:)`` does for one: each trigger's count moves once by the number
    /// of its increments (in name order, so concurrent batches of two replicas lock rows in the same order), each
    /// increment gets the release of its own new count (in batch order within a trigger), and a NOTIFY per trigger
    /// is queued (PostgreSQL folds identical payloads of one transaction). The batch goes as one JSON parameter; the
    /// answer is one row per increment: its position in `batch` and its new count.
    static func batchIncrementQuery(_ batch: [(name: String, release: NewRelease, now: Date)]) throws -> PostgresQuery {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var rows: [BatchRow] = []
        rows.reserveCapacity(batch.count)
        for (index, item) in batch.enumerated() {
            rows.append(
                BatchRow(
                    i: index, name: item.name, at: item.now.timeIntervalSince1970,
                    params: String(decoding: try encoder.encode(item.release.params), as: UTF8.self),
                    note: item.release.note, source: item.release.source.rawValue,
                    requestedBy: item.release.requestedBy,
                    forge: try item.release.forge.map { String(decoding: try encoder.encode($0), as: UTF8.self) }))
        }
        let input = String(decoding: try JSONEncoder().encode(rows), as: UTF8.self)
        return """
            WITH input AS (
                SELECT * FROM jsonb_to_recordset(\(input)::jsonb) AS t(
                    i INTEGER, name TEXT, at DOUBLE PRECISION, params TEXT, note TEXT, source TEXT,
                    requested_by TEXT, forge TEXT)
            ), per AS (
                SELECT name, count(*) AS n, max(at) AS at FROM input GROUP BY name
            ), moved AS (
                INSERT INTO triggers (name, count, last_increment)
                SELECT name, n, at FROM per ORDER BY name
                ON CONFLICT (name) DO UPDATE SET count = triggers.count + excluded.count,
                    last_increment = excluded.last_increment
                RETURNING name, count
            ), numbered AS (
                SELECT input.*, moved.count - per.n + row_number() OVER (PARTITION BY input.name ORDER BY input.i)
                    AS new_count
                FROM input JOIN per USING (name) JOIN moved USING (name)
            ), released AS (
                INSERT INTO releases (trigger, count, params, note, source, requested_by, forge, rollback_of, created_at)
                SELECT name, new_count, params, note, source, requested_by, forge, NULL, at FROM numbered
                RETURNING trigger
            )
            SELECT i, new_count, pg_notify(\(channel), 't ' || name) FROM numbered ORDER BY i
            """
    }

    /// The states ``batchIncrementQuery(_:)`` made, in batch order, from its answer.
    static func batchIncremented(
        _ rows: PostgresRowSequence, _ batch: [(name: String, release: NewRelease, now: Date)]
    ) async throws -> [TriggerState] {
        var counts = [Int64](repeating: 0, count: batch.count)
        for try await (index, count, _) in rows.decode((Int32, Int64, String?).self)
        where batch.indices.contains(Int(index)) {
            counts[Int(index)] = count
        }
        return try zip(batch, counts).map { item, count in
            guard count > 0 else { throw ServerError.unavailable("the increment of '\(item.name)' answered no count") }
            let stored = Release(
                trigger: item.name, count: count, params: item.release.params, note: item.release.note,
                source: item.release.source, requestedBy: item.release.requestedBy, forge: item.release.forge,
                rollbackOf: nil, createdAt: item.now)
            return TriggerState(trigger: item.name, count: count, lastIncrement: item.now, release: stored)
        }
    }

    /// The state ``incrementQuery(name:release:rollbackOf:now:)`` made, from its answer.
    static func incremented(
        _ rows: PostgresRowSequence, name: String, release: NewRelease, rollbackOf: Int64?, now: Date
    ) async throws -> TriggerState {
        var count: Int64 = 0
        for try await (value, _) in rows.decode((Int64, String?).self) { count = value }
        guard count > 0 else { throw ServerError.unavailable("the increment of '\(name)' answered no count") }
        let stored = Release(
            trigger: name, count: count, params: release.params, note: release.note, source: release.source,
            requestedBy: release.requestedBy, forge: release.forge, rollbackOf: rollbackOf, createdAt: now)
        return TriggerState(trigger: name, count: count, lastIncrement: now, release: stored)
    }

    // MARK: - Releases

    /// The `releases` table's columns, in the order ``decodeRelease(_:)`` reads them.
    static let releaseColumns =
        "r.trigger, r.count, r.params, r.note, r.source, r.requested_by, r.forge, r.rollback_of, r.created_at"

    static func decodeRelease(_ row: PostgresRow) throws -> Release {
        let (trigger, count, paramsText, note, source, requestedBy, forgeText, rollbackOf, createdAt) =
            try row.decode((String, Int64, String, String?, String, String?, String?, Int64?, Double).self)
        let decoder = JSONDecoder()
        return Release(
            trigger: trigger, count: count,
            params: (try? decoder.decode([String: String].self, from: Data(paramsText.utf8))) ?? [:],
            note: note, source: ReleaseSource(rawValue: source), requestedBy: requestedBy,
            forge: forgeText.flatMap { try? decoder.decode(ForgePush.self, from: Data($0.utf8)) },
            rollbackOf: rollbackOf, createdAt: Date(timeIntervalSince1970: createdAt))
    }

    static func fetchRelease(_ client: PostgresClient, trigger: String, count: Int64) async throws -> Release? {
        try await client.withConnection { connection in
            try await fetchRelease(
                connection, logger: Logger(label: "prostagma-postgres"), trigger: trigger, count: count)
        }
    }

    static func fetchRelease(_ connection: PostgresConnection, logger: Logger, trigger: String, count: Int64)
        async throws -> Release?
    {
        var query = PostgresQuery(
            unsafeSQL: "SELECT \(releaseColumns) FROM releases r WHERE r.trigger = $1 AND r.count = $2")
        try query.binds.append(trigger, context: .default)
        try query.binds.append(count, context: .default)
        var found: Release?
        for try await row in try await connection.query(query, logger: logger) { found = try decodeRelease(row) }
        return found
    }

    /// The newest release below `before` whose runs all succeeded, as ``SQLiteStore/previousRelease``.
    static func previousRelease(
        _ connection: PostgresConnection, logger: Logger, trigger: String, before: Int64, epoch: String
    ) async throws -> Release? {
        guard before > 1 else { return nil }
        let found = try await outcomes(
            connection, logger: logger, trigger: trigger, from: 1, through: before - 1, epoch: epoch)
        let good = found.filter { $0.value.succeeded > 0 && $0.value.failed == 0 && $0.value.cancelled == 0 }
        for count in good.keys.sorted(by: >) {
            if let release = try await fetchRelease(connection, logger: logger, trigger: trigger, count: count) {
                return release
            }
        }
        return nil
    }

    /// How the runs of `trigger`'s counts in `from...through` went, as ``SQLiteStore/outcomes``.
    static func outcomes(
        _ connection: PostgresConnection, logger: Logger, trigger: String, from: Int64, through: Int64, epoch: String
    ) async throws -> [Int64: ReleaseOutcome] {
        let rows = try await connection.query(
            """
            SELECT count, status FROM (
                SELECT count, status, ROW_NUMBER() OVER (PARTITION BY count, agent ORDER BY seq DESC) AS newest
                FROM runs
                WHERE trigger = \(trigger) AND count BETWEEN \(from) AND \(through)
                    AND coalesce(epoch, \(epoch)) = \(epoch)
            ) newest_runs WHERE newest = 1
            """, logger: logger)
        var runs: [(count: Int64, status: String)] = []
        for try await (count, status) in rows.decode((Int64, String).self) { runs.append((count, status)) }
        return SQLiteStore.tally(runs)
    }

    public func release(trigger: String, count: Int64) async throws(ServerError) -> Release? {
        let (logger, epoch) = (self.logger, self.epoch)
        return try await perform("cannot read release #\(count) of \(trigger)") { client in
            try await client.withConnection { connection in
                guard
                    var release = try await Self.fetchRelease(
                        connection, logger: logger, trigger: trigger, count: count)
                else { return nil }
                release.outcome =
                    try await Self.outcomes(
                        connection, logger: logger, trigger: trigger, from: count, through: count, epoch: epoch)[count]
                    ?? ReleaseOutcome()
                return release
            }
        }
    }

    public func releases(trigger: String, before: Int64?, limit: Int) async throws(ServerError) -> ReleaseList {
        let (logger, epoch) = (self.logger, self.epoch)
        return try await perform("cannot read the releases of \(trigger)") { client in
            try await client.withConnection { connection in
                var query = PostgresQuery(
                    unsafeSQL: """
                        SELECT \(Self.releaseColumns) FROM releases r WHERE r.trigger = $1 AND r.count < $2
                        ORDER BY r.count DESC LIMIT $3
                        """)
                try query.binds.append(trigger, context: .default)
                try query.binds.append(before ?? Int64.max, context: .default)
                try query.binds.append(Int64(limit + 1), context: .default)
                var releases: [Release] = []
                for try await row in try await connection.query(query, logger: logger) {
                    releases.append(try Self.decodeRelease(row))
                }
                let more = releases.count > limit
                if more { releases.removeLast() }
                if let newest = releases.first?.count, let oldest = releases.last?.count {
                    let found = try await Self.outcomes(
                        connection, logger: logger, trigger: trigger, from: oldest, through: newest, epoch: epoch)
                    for index in releases.indices {
                        releases[index].outcome = found[releases[index].count] ?? ReleaseOutcome()
                    }
                }
                return ReleaseList(releases: releases, nextBefore: more ? releases.last?.count : nil)
            }
        }
    }

    public func releases(trigger: String, counts: [Int64]) async throws(ServerError) -> [Int64: Release] {
        guard !counts.isEmpty else { return [:] }
        return try await perform("cannot read the releases of \(trigger)") { client in
            var query = PostgresQuery(
                unsafeSQL: "SELECT \(Self.releaseColumns) FROM releases r WHERE r.trigger = $1 AND r.count = ANY($2)")
            try query.binds.append(trigger, context: .default)
            try query.binds.append(counts, context: .default)
            var found: [Int64: Release] = [:]
            for try await row in try await client.query(query) {
                let release = try Self.decodeRelease(row)
                found[release.count] = release
            }
            return found
        }
    }

    // MARK: - Runs

    public func insertRun(_ report: RunReport, receivedAt: Date) async throws(ServerError) -> RunReport {
        let (stored, json) = try SQLiteStore.identified(report)
        let (logger, retention) = (self.logger, Int64(runRetention))
        let (id, status, time) = (stored.id ?? "", stored.status.rawValue, receivedAt.timeIntervalSince1970)
        let payload = "r \(stored.trigger)"
        try await perform("the run was not stored") { client in
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query(
                    """
                    INSERT INTO runs (id, trigger, agent, count, status, epoch, received_at, report)
                    VALUES (\(id), \(stored.trigger), \(stored.agent), \(stored.count), \(status), \(stored.epoch),
                        \(time), \(json))
                    ON CONFLICT (id) DO UPDATE SET trigger = excluded.trigger, agent = excluded.agent,
                        count = excluded.count, status = excluded.status, epoch = excluded.epoch,
                        report = excluded.report
                    """, logger: logger)
                try await connection.query(
                    """
                    DELETE FROM runs WHERE seq <= (SELECT seq FROM runs ORDER BY seq DESC LIMIT 1 OFFSET \(retention))
                    """, logger: logger)
                try await connection.query("SELECT pg_notify(\(Self.channel), \(payload))", logger: logger)
            }
        }
        return stored
    }

    static func decodeReports(_ rows: PostgresRowSequence) async throws -> [RunReport] {
        var texts: [String] = []
        for try await text in rows.decode(String.self) { texts.append(text) }
        return SQLiteStore.decodeReports(texts)
    }

    public func runs(trigger: String?, limit: Int) async throws(ServerError) -> [RunReport] {
        let limit = Int64(limit)
        return try await perform("cannot read runs") { client in
            if let trigger {
                return try await Self.decodeReports(
                    try await client.query(
                        "SELECT report FROM runs WHERE trigger = \(trigger) ORDER BY seq DESC LIMIT \(limit)"))
            }
            return try await Self.decodeReports(
                try await client.query("SELECT report FROM runs ORDER BY seq DESC LIMIT \(limit)"))
        }
    }

    public func latestRuns(trigger: String, count: Int64, epoch: String) async throws(ServerError)
        -> [String: RunReport]
    {
        try await perform("cannot read the runs of \(trigger) #\(count)") { client in
            let reports = try await Self.decodeReports(
                try await client.query(
                    "SELECT report FROM runs WHERE trigger = \(trigger) AND count = \(count) ORDER BY seq DESC"))
            return SQLiteStore.newestPerAgent(reports, epoch: epoch)
        }
    }

    public func runs(ids: [String]) async throws(ServerError) -> [String: RunReport] {
        guard !ids.isEmpty else { return [:] }
        return try await perform("cannot read runs") { client in
            var found: [String: RunReport] = [:]
            for run in try await Self.decodeReports(
                try await client.query("SELECT report FROM runs WHERE id = ANY(\(ids))"))
            {
                if let id = run.id { found[id] = run }
            }
            return found
        }
    }

    // MARK: - Agents

    /// Writes agent records. Replicas write the same agent (its polls go to any of them), so a row only moves
    /// forward: the newest `last_seen` wins, the watched triggers are the union, the newest run id is kept.
    public func saveAgents(_ agents: [AgentRecord]) async throws(ServerError) {
        guard !agents.isEmpty else { return }
        let logger = self.logger
        try await perform("agents were not stored") { client in
            try await client.withTransaction(logger: logger) { connection in
                // In name order, so two replicas saving the same agents never deadlock.
                for agent in agents.sorted(by: { $0.name < $1.name }) {
                    let seen = agent.lastSeen.timeIntervalSince1970
                    try await connection.query(
                        """
                        INSERT INTO agents (name, host, triggers, last_seen, poll_interval, last_run_id)
                        VALUES (\(agent.name), \(agent.host), \(agent.triggers), \(seen), \(agent.pollIntervalSeconds),
                            \(agent.lastRunID))
                        ON CONFLICT (name) DO UPDATE SET
                            host = coalesce(excluded.host, agents.host),
                            triggers = ARRAY(SELECT DISTINCT t FROM unnest(agents.triggers || excluded.triggers) t
                                ORDER BY t),
                            last_seen = greatest(agents.last_seen, excluded.last_seen),
                            poll_interval = CASE WHEN excluded.last_seen >= agents.last_seen
                                THEN excluded.poll_interval ELSE agents.poll_interval END,
                            last_run_id = CASE WHEN excluded.last_seen >= agents.last_seen
                                THEN coalesce(excluded.last_run_id, agents.last_run_id)
                                ELSE coalesce(agents.last_run_id, excluded.last_run_id) END
                        """, logger: logger)
                }
            }
        }
    }

    public func loadAgents() async throws(ServerError) -> [AgentRecord] {
        try await perform("cannot read agents") { client in
            var agents: [AgentRecord] = []
            let rows = try await client.query(
                "SELECT name, host, triggers, last_seen, poll_interval, last_run_id FROM agents ORDER BY name")
            for try await (name, host, triggers, seen, interval, lastRun) in rows.decode(
                (String, String?, [String], Double, Double, String?).self)
            {
                agents.append(
                    AgentRecord(
                        name: name, host: host, triggers: triggers, lastSeen: Date(timeIntervalSince1970: seen),
                        pollIntervalSeconds: interval, lastRunID: lastRun))
            }
            return agents
        }
    }

    // MARK: - Policies and rollouts

    public func policy(trigger: String) async throws(ServerError) -> RolloutPolicy? {
        try await perform("cannot read the rollout policy of '\(trigger)'") { client in
            var found: RolloutPolicy?
            for try await text in try await client.query("SELECT policy FROM policies WHERE trigger = \(trigger)")
                .decode(String.self)
            {
                found = try JSONDecoder().decode(RolloutPolicy.self, from: Data(text.utf8))
            }
            return found
        }
    }

    public func loadPolicies() async throws(ServerError) -> [String: RolloutPolicy] {
        try await perform("cannot read rollout policies") { client in
            var policies: [String: RolloutPolicy] = [:]
            for try await (trigger, text) in try await client.query("SELECT trigger, policy FROM policies")
                .decode((String, String).self)
            {
                policies[trigger] = try JSONDecoder().decode(RolloutPolicy.self, from: Data(text.utf8))
            }
            return policies
        }
    }

    public func setPolicy(_ policy: RolloutPolicy?, trigger: String, now: Date) async throws(ServerError) {
        let text = try SQLiteStore.encode(policy)
        let (logger, time, payload) = (self.logger, now.timeIntervalSince1970, "p \(trigger)")
        try await perform("the rollout policy of '\(trigger)' was not stored") { client in
            try await client.withTransaction(logger: logger) { connection in
                if let text {
                    try await connection.query(
                        """
                        INSERT INTO policies (trigger, policy, updated_at) VALUES (\(trigger), \(text), \(time))
                        ON CONFLICT (trigger) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at
                        """, logger: logger)
                } else {
                    try await connection.query("DELETE FROM policies WHERE trigger = \(trigger)", logger: logger)
                }
                try await connection.query("SELECT pg_notify(\(Self.channel), \(payload))", logger: logger)
            }
        }
    }

    public func loadRollouts() async throws(ServerError) -> [RolloutMachine] {
        try await perform("cannot read rollouts") { client in
            var machines: [RolloutMachine] = []
            for try await text in try await client.query("SELECT machine FROM rollouts ORDER BY trigger")
                .decode(String.self)
            {
                machines.append(try JSONDecoder().decode(RolloutMachine.self, from: Data(text.utf8)))
            }
            return machines
        }
    }

    public func saveRollout(of trigger: String, current: @escaping @Sendable () -> RolloutMachine?)
        async throws(ServerError)
    {
        let (logger, payload) = (self.logger, "o \(trigger)")
        try await perform("the rollout of '\(trigger)' was not stored") { client in
            try await client.withTransaction(logger: logger) { connection in
                // The row lock serializes this replica's and other replicas' saves of one trigger; the state is read
                // once the lock is held, so the last to commit holds the newest state this replica knows.
                try await Self.lockRollout(connection, trigger: trigger, logger: logger)
                guard let rollout = current() else { return }
                let text = String(decoding: try JSONEncoder().encode(rollout), as: UTF8.self)
                try await connection.query(
                    """
                    INSERT INTO rollouts (trigger, count, machine, revision)
                    VALUES (\(rollout.trigger), \(rollout.count), \(text), 1)
                    ON CONFLICT (trigger) DO UPDATE SET count = excluded.count, machine = excluded.machine,
                        revision = rollouts.revision + 1
                    """, logger: logger)
                try await connection.query("SELECT pg_notify(\(Self.channel), \(payload))", logger: logger)
            }
        }
    }

    public func close() async throws {
        runner.cancel()
        await runner.value
    }
}
