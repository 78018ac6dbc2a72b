/// A fetcher for `run --once` without a server: download steps fail with a clear message.
struct NoServerFetcher: ArtifactFetching {
    func fetch(url: String, cache: Bool, to path: String) async throws -> FetchedArtifact {
        throw AgentError.configuration("\(url): download steps need a server (set PROSTAGMA_HOST)")
    }
}
