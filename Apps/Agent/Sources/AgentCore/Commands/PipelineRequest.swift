import ArgumentParser

/// What `trigger` and `rollback` share: their checks, the client, printing the answer and the exit status.
enum PipelineRequest {
    /// Throws a usage error unless `name` is a trigger name.
    static func checkTrigger(_ name: String) throws {
        do throws(ProtocolError) {
            try TriggerName.validate(name)
        } catch {
            throw ValidationError("`\(name)` is not a valid trigger name: \(error)")
        }
    }

    /// The `--param NAME=VALUE` arguments as params, checked against the release rules (name, count, size); a usage
    /// error names the offending argument.
    static func params(_ arguments: [String]) throws -> [String: String] {
        var values: [String: String] = [:]
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "=") else {
                throw ValidationError("--param `\(argument)` must be NAME=VALUE (e.g. --param version=1.4.2)")
            }
            let name = String(argument[..<equals])
            if values[name] != nil { throw ValidationError("--param `\(name)` is given twice") }
            values[name] = String(argument[argument.index(after: equals)...])
        }
        do throws(ProtocolError) {
            try ReleaseRules.validate(params: values)
        } catch {
            throw ValidationError("invalid --param: \(error.message)")
        }
        return values
    }

    /// `--wait` in whole seconds (at least 1, at most an hour), nil without it.
    static func waitSeconds(_ wait: String?) throws -> Int? {
        guard let wait else { return nil }
        guard let duration = DurationParser.parse(wait), duration > .zero, duration <= .seconds(3600) else {
            throw ValidationError("--wait `\(wait)` must be a duration up to 1h (e.g. 5m)")
        }
        return max(1, Int(duration.components.seconds))
    }

    /// A client for the configured server, and its transport (the caller shuts it down).
    static func client(flags: AgentFlags, readTimeout: Duration = .seconds(120)) throws -> (
        ServerClient, ClientTransport
    ) {
        let settings = try flags.resolve()
        let (server, secret) = try settings.serverAndSecret()
        let transport = try ClientTransport(caFile: settings.caFile, readTimeout: readTimeout)
        let client = ServerClient(
            server: server, secret: secret, agentName: settings.agentName, host: settings.host,
            pollInterval: settings.pollInterval, transport: transport)
        return (client, transport)
    }

    /// Sends the request through a client for the configured server, prints the answer and exits with its status:
    /// 3 when the request failed (with the server's detail on standard error).
    static func send(
        flags: AgentFlags, trigger: String, wait: Int?,
        _ request: (ServerClient, Int?) async throws -> ServerClient.TriggerOutcome
    ) async throws {
        let (client, transport) = try Self.client(flags: flags, readTimeout: .seconds(max(120, (wait ?? 0) + 60)))
        let outcome: ServerClient.TriggerOutcome
        do {
            outcome = try await request(client, wait)
        } catch {
            try? await transport.shutdown()
            printError("prostagma-agent: \(error)")
            throw ExitCode(3)
        }
        try? await transport.shutdown()
        let (text, code) = TriggerPrinter.describe(outcome, trigger: trigger, waited: wait != nil)
        print(text)
        if code != 0 { throw ExitCode(code) }
    }
}
