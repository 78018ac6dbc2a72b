import Foundation
import Testing

@testable import ServerCore

@Suite(.timeLimit(.minutes(2))) struct ConfigurationTests {
    @Test func defaultsMatchTheOriginal() throws {
        let config = try ServerConfiguration.resolve(.init(), environment: [:])
        #expect(config.host == "127.0.0.1")
        #expect(config.port == 6969)
        #expect(config.dataDirectory == "./prostagma-data")
        #expect(config.secretSource == .generated)
        #expect(config.logFormat == .text)
        #expect(config.allowedURLPrefixes.isEmpty)
    }

    @Test func environmentVariablesAreRead() throws {
        let config = try ServerConfiguration.resolve(
            .init(),
            environment: [
                "PROSTAGMA_HOST": "0.0.0.0:7000", "PROSTAGMA_SECRET": "s3cret", "PROSTAGMA_AWS": "/usr/bin/aws",
                "PROSTAGMA_DATA": "/var/lib/p", "PROSTAGMA_CACHE_MAX_BYTES": "512MiB",
                "PROSTAGMA_ALLOWED_URLS": "https://a.example/,s3://bucket/", "PROSTAGMA_LOG_FORMAT": "json",
            ])
        #expect(config.host == "0.0.0.0")
        #expect(config.port == 7000)
        #expect(config.secretSource == .value("s3cret"))
        #expect(config.awsPath == "/usr/bin/aws")
        #expect(config.dataDirectory == "/var/lib/p")
        #expect(config.cacheMaxBytes == 512 << 20)
        #expect(config.allowedURLPrefixes == ["https://a.example/", "s3://bucket/"])
        #expect(config.logFormat == .json)
    }

    @Test func flagsWinOverEnvironment() throws {
        let command = try ServerCommand.parse(["--host", "127.0.0.1:1234", "--secret-file", "/run/s", "--data", "/d"])
        let config = try ServerConfiguration.resolve(
            command.overrides,
            environment: ["PROSTAGMA_HOST": "0.0.0.0:7000", "PROSTAGMA_SECRET": "env", "PROSTAGMA_DATA": "/e"])
        #expect(config.port == 1234)
        #expect(config.secretSource == .file("/run/s"))
        #expect(config.dataDirectory == "/d")
    }

    @Test func theOriginalsServerVerbIsAcceptedAndChangesNothing() throws {
        let plain = try ServerCommand.parse(["--data", "/d"])
        let seed = try ServerCommand.parse(["server", "--data", "/d"])
        #expect(seed.verb == "server")
        let environment = ["PROSTAGMA_SECRET": "s"]
        #expect(
            try ServerConfiguration.resolve(seed.overrides, environment: environment).description
                == ServerConfiguration.resolve(plain.overrides, environment: environment).description)
    }

    @Test(arguments: [("client", "prostagma-agent"), ("serve", "unexpected argument 'serve'")])
    func anotherVerbIsRefusedSayingWhatToRun(verb: String, expected: String) {
        do {
            _ = try ServerCommand.parse([verb])
            Issue.record("\(verb) was accepted")
        } catch {
            #expect(ServerCommand.message(for: error).contains(expected), "\(ServerCommand.message(for: error))")
        }
    }

    @Test(arguments: ["", "   ", "\n"])
    func emptySecretIsRefusedWithAClearMessage(secret: String) {
        #expect {
            try ServerConfiguration.resolve(.init(), environment: ["PROSTAGMA_SECRET": secret])
        } throws: { error in
            (error as? ServerError)?.detail.contains("secret is empty") == true
        }
    }

    @Test(arguments: [
        ("127.0.0.1:6969", "127.0.0.1", 6969), ("0.0.0.0:80", "0.0.0.0", 80), (":7000", "0.0.0.0", 7000),
        ("[::1]:8080", "::1", 8080), ("localhost", "localhost", 6969),
        ("https://example.com:6969", "example.com", 6969),
        ("9000", "127.0.0.1", 9000),
    ])
    func listenAddressesParse(text: String, host: String, port: Int) throws {
        let parsed = try ServerConfiguration.parseListenAddress(text)
        #expect(parsed.host == host)
        #expect(parsed.port == port)
    }

    @Test(arguments: ["host:99999", "host:abc", "::1:80", ""])
    func badListenAddressesAreRefused(text: String) {
        #expect(throws: ServerError.self) { try ServerConfiguration.parseListenAddress(text) }
    }

    @Test func badValuesNameTheVariable() {
        #expect {
            try ServerConfiguration.resolve(.init(), environment: ["PROSTAGMA_LOG_FORMAT": "xml"])
        } throws: { error in
            (error as? ServerError)?.detail.contains("PROSTAGMA_LOG_FORMAT") == true
        }
        #expect {
            try ServerConfiguration.resolve(.init(), environment: ["PROSTAGMA_CACHE_MAX_BYTES": "lots"])
        } throws: { error in
            (error as? ServerError)?.detail.contains("PROSTAGMA_CACHE_MAX_BYTES") == true
        }
        #expect {
            try ServerConfiguration.resolve(.init(), environment: ["PROSTAGMA_ALLOWED_URLS": "ftp://x/"])
        } throws: { error in
            (error as? ServerError)?.detail.contains("ftp://x/") == true
        }
        #expect(throws: ServerError.self) {
            try ServerConfiguration.resolve(.init(), environment: ["PROSTAGMA_TLS_CERT": "/c.pem"])
        }
    }

    @Test func descriptionNeverShowsTheSecret() throws {
        let config = try ServerConfiguration.resolve(.init(), environment: ["PROSTAGMA_SECRET": "hunter2-secret"])
        #expect(!config.description.contains("hunter2"))
        #expect(!String(describing: Authenticator(secret: "hunter2-secret")).contains("hunter2"))
    }

    @Test func helpListsEveryFlag() {
        let help = ServerCommand.helpMessage()
        for flag in [
            "--host", "--secret", "--secret-file", "--aws", "--data", "--cache-max-bytes", "--allowed-urls",
            "--tls-cert", "--tls-key", "--log-format", "--version",
        ] {
            #expect(help.contains(flag), "missing \(flag)")
        }
    }

    @Test func generatedSecretIsStoredPrivatelyAndReused() async throws {
        try await withTemporaryDirectory { directory in
            let data = directory + "/data"
            let first = try SecretResolver().resolve(.generated, dataDirectory: data)
            #expect(first.generated)
            #expect(first.secret.count == 64)
            let attributes = try FileManager.default.attributesOfItem(atPath: data + "/secret")
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let second = try SecretResolver().resolve(.generated, dataDirectory: data)
            #expect(!second.generated)
            #expect(second.secret == first.secret)
        }
    }

    @Test func secretFileIsTrimmedAndAnEmptyOneRefused() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/s"
            try "  abc \n".write(toFile: path, atomically: true, encoding: .utf8)
            #expect(try SecretResolver().resolve(.file(path), dataDirectory: directory).secret == "abc")
            try "\n".write(toFile: path, atomically: true, encoding: .utf8)
            #expect(throws: ServerError.self) { try SecretResolver().resolve(.file(path), dataDirectory: directory) }
            #expect(throws: ServerError.self) {
                try SecretResolver().resolve(.file(directory + "/missing"), dataDirectory: directory)
            }
        }
    }
}
