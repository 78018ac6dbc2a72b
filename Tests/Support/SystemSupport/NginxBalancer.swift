import Foundation

/// A real nginx (Debian's `nginx-light`) balancing HTTP over server replicas: its own configuration, logs and
/// temporary files in `<scenario>/<name>/`, on 127.0.0.1 and a free port, in the foreground (`daemon off`) as a
/// tracked process of the scenario, stopped by its PID when the scenario ends.
public final class NginxBalancer: Sendable {
    /// The port it listens on.
    public let port: UInt16
    /// Its process.
    public let process: ChildProcess

    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    init(port: UInt16, process: ChildProcess) {
        self.port = port
        self.process = process
    }

    /// The nginx binary.
    static func binary() throws -> String {
        for candidate in ["/usr/sbin/nginx", "/usr/bin/nginx"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw SystemTestError("nginx is not installed (Debian package nginx-light; run `make deps`)")
    }
}

extension SystemHarness {
    /// Starts nginx in front of `servers` (round robin; a replica that refuses connections is skipped for 2 s) and
    /// waits until it answers `/healthz`.
    public func startBalancer(name: String = "nginx", servers: [ServerProcess]) async throws -> NginxBalancer {
        let folder = path(name)
        try FileSystem.makeDirectory(folder)
        for sub in ["tmp", "logs"] { try FileSystem.makeDirectory(folder.appendingPathComponent(sub)) }
        let port = try FreePort.next()
        let upstreams = servers.map { "        server 127.0.0.1:\($0.port) max_fails=1 fail_timeout=2s;" }
            .joined(separator: "\n")
        let temp = folder.appendingPathComponent("tmp").path
        let config = """
            \(getuid() == 0 ? "user root;" : "")
            worker_processes 1;
            pid \(folder.appendingPathComponent("nginx.pid").path);
            error_log \(folder.appendingPathComponent("logs/error.log").path) warn;
            events { worker_connections 1024; }
            http {
                access_log \(folder.appendingPathComponent("logs/access.log").path);
                client_body_temp_path \(temp)/body;
                proxy_temp_path \(temp)/proxy;
                fastcgi_temp_path \(temp)/fastcgi;
                uwsgi_temp_path \(temp)/uwsgi;
                scgi_temp_path \(temp)/scgi;
                upstream prostagma {
            \(upstreams)
                    keepalive 16;
                }
                server {
                    listen 127.0.0.1:\(port);
                    location / {
                        proxy_pass http://prostagma;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_read_timeout 3700s;
                        proxy_next_upstream error timeout;
                    }
                }
            }

            """
        let configFile = folder.appendingPathComponent("nginx.conf")
        try FileSystem.write(config, to: configFile)
        let process = try await spawn(
            [try NginxBalancer.binary(), "-p", folder.path, "-c", configFile.path, "-g", "daemon off;"],
            environment: Command.baseEnvironment, log: folder.appendingPathComponent("nginx.log"))
        let balancer = NginxBalancer(port: port, process: process)
        try await Poll.check(
            "nginx on port \(port) to answer /healthz", timeout: .seconds(20), interval: .milliseconds(50),
            state: { "nginx log:\n" + FileSystem.tail(folder.appendingPathComponent("nginx.log")) }
        ) {
            if let status = process.exitStatus {
                throw SystemTestError(
                    "nginx exited with status \(status): " + FileSystem.tail(folder.appendingPathComponent("nginx.log"))
                )
            }
            return (try? await HTTP.get(balancer.baseURL + "/healthz", timeout: .seconds(2)))?.status == 200
        }
        return balancer
    }
}
