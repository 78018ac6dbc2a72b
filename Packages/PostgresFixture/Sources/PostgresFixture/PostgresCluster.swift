import Foundation
import Subprocess
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// A throwaway PostgreSQL cluster for tests: `initdb` into a fresh temporary directory, `pg_ctl start` on 127.0.0.1
/// and a free port, `pg_ctl stop` (then SIGKILL of the postmaster's PID if it lingers) and the directory removed by
/// ``stop()``.
///
/// PostgreSQL refuses to run as root: run as root (as CI does), the tools run as the `postgres` user through
/// `runuser`, and the directory is handed to that user. The binaries come from `/usr/lib/postgresql/15/bin`
/// (Debian's `postgresql` package, installed by `make deps`), else from `pg_config --bindir`. Every step has a
/// deadline. Password authentication (scram-sha-256) is required over TCP, as a real deployment would.
///
/// With `tls: true` the server also offers TLS (`ssl=on`) with a self-signed certificate for `127.0.0.1` and
/// `localhost`, made by `openssl` in the cluster's directory (``certificatePath``), so a client can trust exactly it.
public final class PostgresCluster: Sendable {
    /// Something the fixture could not do, with the command's output.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The superuser the cluster is made with, and its password.
    public static let user = "prostagma"
    public static let password = "fixture-secret"

    /// The cluster's directory (data, log, socket).
    public let directory: String
    /// The TCP port on 127.0.0.1.
    public let port: Int
    /// Where the PostgreSQL binaries are.
    public let binDirectory: String
    /// Whether the server offers TLS.
    public let tls: Bool
    private let runAsPostgres: Bool

    private init(directory: String, port: Int, binDirectory: String, tls: Bool, runAsPostgres: Bool) {
        self.directory = directory
        self.port = port
        self.binDirectory = binDirectory
        self.tls = tls
        self.runAsPostgres = runAsPostgres
    }

    /// The server's self-signed certificate (PEM), when it offers TLS: what a client trusts to verify it.
    public var certificatePath: String { directory + "/server.crt" }

    /// The data directory.
    public var dataDirectory: String { directory + "/data" }

    /// A URL for `database` (default `postgres`, which always exists); `password` overrides the right one.
    public func url(database: String = "postgres", password: String = PostgresCluster.password) -> String {
        "postgres://\(Self.user):\(password)@127.0.0.1:\(port)/\(database)"
    }

    /// The postmaster's PID, from `postmaster.pid`; nil when it is not running.
    public var serverPID: Int32? {
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8),
            let first = text.split(separator: "\n").first
        else { return nil }
        return Int32(first.trimmingCharacters(in: .whitespaces))
    }

    /// Whether process `pid` runs: it exists and is not a zombie (a daemonized postmaster is reparented to PID 1,
    /// which in some containers never reaps it).
    public static func isRunning(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }

    /// Where to find `initdb` and `pg_ctl`.
    public static func findBinaries() async throws -> String {
        let debian = "/usr/lib/postgresql/15/bin"
        if FileManager.default.isExecutableFile(atPath: debian + "/pg_ctl") { return debian }
        if let output = try? await runCapturing(["pg_config", "--bindir"], timeout: 10), output.status == 0 {
            let dir = output.text.trimmingCharacters(in: .whitespacesAndNewlines)
            if FileManager.default.isExecutableFile(atPath: dir + "/pg_ctl") { return dir }
        }
        throw Failure(
            description: "PostgreSQL 15 is not installed: no \(debian)/pg_ctl and no pg_config; run `make deps`"
                + " (Debian package postgresql)")
    }

    /// Makes and starts a cluster (offering TLS when `tls`); throws with the tools' output when a step fails or passes
    /// its deadline.
    public static func start(tls: Bool = false) async throws -> PostgresCluster {
        let bin = try await findBinaries()
        let runAsPostgres = getuid() == 0
        var template = Array((NSTemporaryDirectory() + "/prostagma-pg-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw Failure(description: "mkdtemp failed: \(errno)") }
        let directory = String(cString: made)
        if runAsPostgres {
            guard let entry = getpwnam("postgres") else {
                throw Failure(description: "there is no `postgres` user to run PostgreSQL as (install postgresql)")
            }
            guard chown(directory, entry.pointee.pw_uid, entry.pointee.pw_gid) == 0 else {
                throw Failure(description: "cannot chown \(directory) to postgres: errno \(errno)")
            }
        }
        let cluster = PostgresCluster(
            directory: directory, port: try freePort(), binDirectory: bin, tls: tls, runAsPostgres: runAsPostgres)
        do {
            let passwordFile = directory + "/password"
            try await cluster.tool(["/bin/sh", "-c", "umask 077; printf '%s' \"$0\" > \"$1\"", password, passwordFile])
            try await cluster.tool(
                [
                    bin + "/initdb", "-D", cluster.dataDirectory, "-U", user, "--pwfile=" + passwordFile,
                    "--auth-host=scram-sha-256", "--auth-local=trust", "--encoding=UTF8", "--locale=C", "--no-sync",
                ], timeout: 120)
            if tls {
                // As the server's user: PostgreSQL refuses a key file that others can read or that it does not own.
                try await cluster.tool(
                    [
                        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                        "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", directory + "/server.key",
                        "-out", cluster.certificatePath,
                    ], timeout: 60)
                try await cluster.tool(["chmod", "600", directory + "/server.key"])
            }
            try await cluster.startServer()
        } catch {
            try? cluster.removeDirectory()
            throw error
        }
        return cluster
    }

    /// `pg_ctl start`, waiting until the server accepts connections.
    public func startServer() async throws {
        try await tool(
            [
                binDirectory + "/pg_ctl", "-D", dataDirectory, "-l", directory + "/server.log", "-w", "-t", "60",
                "-o",
                "-c listen_addresses=127.0.0.1 -p \(port) -c unix_socket_directories=\(directory)"
                    + " -c max_connections=200 -c fsync=on"
                    + (tls
                        ? " -c ssl=on -c ssl_cert_file=\(certificatePath) -c ssl_key_file=\(directory)/server.key"
                        : ""),
                "start",
            ], timeout: 90)
    }

    /// `pg_ctl stop -m fast`: the server goes away (connections are closed) until ``startServer()``.
    public func stopServer() async throws {
        try await tool(
            [binDirectory + "/pg_ctl", "-D", dataDirectory, "-w", "-t", "60", "-m", "fast", "stop"], timeout: 90)
    }

    /// `pg_ctl restart -m fast`, as an operator restarting the database would.
    public func restart() async throws {
        try await tool(
            [
                binDirectory + "/pg_ctl", "-D", dataDirectory, "-l", directory + "/server.log", "-w", "-t", "60",
                "-m", "fast", "restart",
            ], timeout: 120)
    }

    /// Creates `name` (owned by ``user``) and returns its URL.
    public func createDatabase(_ name: String) async throws -> String {
        try await tool([
            binDirectory + "/psql", "-h", directory, "-p", "\(port)", "-U", Self.user, "-d", "postgres",
            "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE \"\(name)\"",
        ])
        return url(database: name)
    }

    /// Runs `sql` in `database` through psql over the socket; returns its unaligned output.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") async throws -> String {
        try await tool([
            binDirectory + "/psql", "-h", directory, "-p", "\(port)", "-U", Self.user, "-d", database, "-At",
            "-v", "ON_ERROR_STOP=1", "-c", sql,
        ])
    }

    /// Stops the server (fast; then SIGKILL of its PID if it is still there after 10 s) and removes the directory.
    public func stop() async throws {
        if let pid = serverPID {
            do {
                try await stopServer()
            } catch {
                kill(pid, SIGKILL)
            }
            // pg_ctl returns once postmaster.pid is gone, a moment before the process ends: wait for that (10 s),
            // then make sure.
            let deadline = ContinuousClock.now + .seconds(10)
            while Self.isRunning(pid), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            if Self.isRunning(pid) { kill(pid, SIGKILL) }
        }
        try removeDirectory()
    }

    private func removeDirectory() throws {
        if FileManager.default.fileExists(atPath: directory) { try FileManager.default.removeItem(atPath: directory) }
    }

    /// The server's log, for a failing test's message.
    public var serverLog: String {
        (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
    }

    /// Runs `arguments` (as `postgres` when we are root) and returns its output; throws when it fails.
    @discardableResult
    private func tool(_ arguments: [String], timeout: Double = 60) async throws -> String {
        let command = runAsPostgres ? ["/usr/sbin/runuser", "-u", "postgres", "--"] + arguments : arguments
        let output = try await Self.runCapturing(command, timeout: timeout)
        guard output.status == 0 else {
            throw Failure(
                description: "\(arguments.first.map { ($0 as NSString).lastPathComponent } ?? "?") failed "
                    + "(status \(output.status)): \(output.text)")
        }
        return output.text
    }

    /// Runs a command through swift-subprocess (the repository's one way to run a child process) in its own process
    /// group, its output into a file (a daemon that keeps a pipe open cannot stall it), with a deadline: past it the
    /// task running it is cancelled, which kills the group.
    static func runCapturing(_ command: [String], timeout: Double) async throws -> (status: Int32, text: String) {
        let outputPath = NSTemporaryDirectory() + "/prostagma-pg-out-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let output = try FileDescriptor.open(
            FilePath(outputPath), .writeOnly, options: [.create, .truncate], permissions: [.ownerReadWrite])
        let error = try output.duplicate()
        var options = PlatformOptions()
        options.processGroupID = 0
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: .seconds(1))]
        var variables: [Environment.Key: String] = [:]
        for (name, value) in ["PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "LC_ALL": "C"] {
            variables[Environment.Key(stringLiteral: name)] = value
        }
        let executable: Executable = command[0].contains("/") ? .path(FilePath(command[0])) : .name(command[0])
        let configuration = Configuration(
            executable: executable, arguments: Arguments(Array(command.dropFirst())), environment: .custom(variables),
            workingDirectory: FilePath("/"), platformOptions: options)
        let status: Int32? = try await withThrowingTaskGroup(of: Int32?.self) { group in
            group.addTask {
                let result = try await Subprocess.run(
                    configuration, input: .none, output: .fileDescriptor(output, closeAfterSpawningProcess: true),
                    error: .fileDescriptor(error, closeAfterSpawningProcess: true))
                switch result.terminationStatus {
                case .exited(let code): return code
                case .signaled(let signal): return 128 + signal
                }
            }
            group.addTask {
                try await Task.sleep(for: .seconds(timeout))
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard let status else {
            throw Failure(description: "\(command.joined(separator: " ")) ran over \(Int(timeout)) s: \(text)")
        }
        return (status, text)
    }

    /// A TCP port free on 127.0.0.1 now (bound, read, closed).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw Failure(description: "bind failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw Failure(description: "getsockname failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
