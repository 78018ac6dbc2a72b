extension ResolvedSettings.Inputs {
    /// The real environment, files and host name.
    public static func live() -> Self {
        Self(
            environment: ProcessEnvironment.current(),
            loadConfigFile: { try ScriptLoader.loadConfig($0) },
            readTextFile: { path in
                do {
                    return String(decoding: try FileSystem.read(path), as: UTF8.self)
                } catch {
                    throw AgentError.configuration("cannot read the secret file: \(error)")
                }
            },
            hostName: ProcessEnvironment.hostName(), isRoot: ProcessEnvironment.isRoot)
    }
}
