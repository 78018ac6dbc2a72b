import Foundation
import HTTPCore
import ProstagmaProtocol

/// Who may do what on v1: the shared secret (admin), and named tokens limited to their scopes (``TokenScope``).
extension ServerRoutes {
    /// Who a request's credentials say it is.
    enum Identity: Sendable {
        /// No credentials (401).
        case missing
        /// Credentials that match neither the secret nor a token (403 on the API, 401 on the status page).
        case rejected
        /// The shared secret, presented as `credential`.
        case secret(Authenticator.Credential)
        /// A named token, presented in `Authorization` (``Authenticator/Credential/secret``) or `X-Gitlab-Token`.
        case token(AccessToken, Authenticator.Credential)
    }

    /// An accepted request's credential.
    struct Principal: Sendable {
        /// The token, or nil for the shared secret.
        let token: AccessToken?
        /// How it was presented: a webhook's credential authorizes only the webhook increment.
        let credential: Authenticator.Credential

        /// What a release this request makes records as `requested_by`: the token's name, `secret` otherwise.
        var requestedBy: String { token?.name ?? ServerRoutes.sharedSecretName }
    }

    /// Checks the request's credentials against the shared secret (constant time), then, when they do not match
    /// it, looks the presented secret's SHA-256 up among the named tokens. The lookup's timing depends only on the
    /// digest, which says nothing usable about any token's secret. Throws only when the store cannot be read.
    func identify(_ request: HTTPRequest) async throws(ServerError) -> Identity {
        if let identity = identifyWithoutStore(request) { return identity }
        return try await identifyToken(request)
    }

    /// The credentials' verdict where the store is not needed: the shared secret, or none; nil when they must be
    /// looked up among the tokens (``identifyToken(_:)``).
    func identifyWithoutStore(_ request: HTTPRequest) -> Identity? {
        let header = { (name: String) in request.headers.first(name: name) }
        let (outcome, credential) = components.authenticator.credential(header, body: Self.bytes(request))
        switch outcome {
        case .accepted: return .secret(credential ?? .secret)
        case .missing: return .missing
        case .rejected: return nil
        }
    }

    /// Credentials that are not the shared secret, looked up among the named tokens.
    @inline(never)
    func identifyToken(_ request: HTTPRequest) async throws(ServerError) -> Identity {
        let header = { (name: String) in request.headers.first(name: name) }
        guard let presented = components.authenticator.presentedSecret(header), !presented.secret.isEmpty else {
            return .rejected
        }
        let digest = AccessToken.digest(of: presented.secret)
        guard let token = try await components.store.token(digest: digest),
            Authenticator.constantTimeEquals(Array(token.digest.utf8), Array(digest.utf8))
        else { return .rejected }
        await noteUse(of: token)
        return .token(token, presented.credential)
    }

    /// Lets the request in when its credentials are the shared secret, or a token with a scope granting one of
    /// `permissions`; returns who it is. 401 without credentials, 403 with wrong ones, and 403
    /// `insufficient_scope` naming the missing scope for a token that may not do this. A webhook's credential
    /// counts only where `webhook` is true, which is `POST /v1/triggers/{name}` alone (docs/api.md).
    @discardableResult
    func authorize(_ request: HTTPRequest, _ permissions: [TokenScope.Permission], webhook: Bool = false)
        async throws(ServerError) -> Principal
    {
        try admit(try await identify(request), permissions, request, webhook: webhook)
    }

    /// ``authorize(_:_:webhook:)`` without suspending, for the shared secret (or no credentials); nil when the
    /// credentials must be looked up among the tokens. A long poll calls it first, so the common case holds no
    /// frames of the lookup.
    func authorizeWithoutStore(_ request: HTTPRequest, _ permissions: [TokenScope.Permission])
        throws(ServerError) -> Principal?
    {
        guard let identity = identifyWithoutStore(request) else { return nil }
        return try admit(identity, permissions, request, webhook: false)
    }

    /// 401 for no credentials, 403 for wrong ones, else the checks after authentication.
    func admit(
        _ identity: Identity, _ permissions: [TokenScope.Permission], _ request: HTTPRequest, webhook: Bool
    ) throws(ServerError) -> Principal {
        switch identity {
        case .missing:
            throw .unauthorized("send 'Authorization: Bearer <secret or token>'")
        case .rejected:
            throw .forbidden("the credentials match neither the server's secret nor a token")
        case .secret(let credential):
            return try admit(Principal(token: nil, credential: credential), permissions, request, webhook: webhook)
        case .token(let token, let credential):
            return try admit(Principal(token: token, credential: credential), permissions, request, webhook: webhook)
        }
    }

    /// The checks after authentication: the webhook rule, then the token's scopes.
    @discardableResult
    func admit(
        _ principal: Principal, _ permissions: [TokenScope.Permission], _ request: HTTPRequest, webhook: Bool
    ) throws(ServerError) -> Principal {
        if principal.credential != .secret, !webhook { throw Self.webhookCredentialRefused(request) }
        if let token = principal.token { try Self.check(token, permissions, request) }
        return principal
    }

    /// 403 `insufficient_scope` unless `token` has a scope granting one of `permissions`.
    static func check(_ token: AccessToken, _ permissions: [TokenScope.Permission], _ request: HTTPRequest)
        throws(ServerError)
    {
        guard !token.allows(any: permissions) else { return }
        let needed = permissions.map(\.description).joined(separator: " or ")
        throw ServerError(
            status: 403, code: "insufficient_scope",
            detail: "token '\(token.name)' may not \(request.method.rawValue) \(request.path): needs scope \(needed)"
                + " (it has \(token.scopeText))")
    }

    static func webhookCredentialRefused(_ request: HTTPRequest) -> ServerError {
        .forbidden(
            "a webhook credential (X-Hub-Signature-256, X-Gitlab-Token) only authorizes POST /v1/triggers/{name}, "
                + "not \(request.method.rawValue) \(request.route ?? request.path); send 'Authorization: Bearer <secret>'"
        )
    }

    /// Records the token's use when the stored time is older than ``AccessToken/lastUsedResolution``. A failed
    /// write is logged (by name; the secret is never known here) and does not refuse the request.
    func noteUse(of token: AccessToken) async {
        let now = components.now()
        if let last = token.lastUsedAt, now.timeIntervalSince(last) < AccessToken.lastUsedResolution { return }
        do {
            try await components.store.tokenUsed(name: token.name, at: now)
        } catch {
            components.logger.warning(
                "could not record a token's use", metadata: ["token": "\(token.name)", "error": "\(error.detail)"])
        }
    }
}
