import Testing

@testable import ServerCore

@Suite(.timeLimit(.minutes(2))) struct AuthenticatorTests {
    let auth = Authenticator(secret: "s3cret")

    func headers(_ pairs: [String: String]) -> (String) -> String? {
        { name in pairs.first { $0.key.lowercased() == name }?.value }
    }

    @Test func bearerSecret() {
        #expect(auth.checkHeaders(headers(["Authorization": "Bearer s3cret"]), body: []) == .accepted)
        #expect(auth.checkHeaders(headers(["Authorization": "bearer s3cret"]), body: []) == .accepted)
        #expect(auth.checkHeaders(headers(["Authorization": "Bearer s3cre"]), body: []) == .rejected)
        #expect(auth.checkHeaders(headers(["Authorization": "Bearer s3cret2"]), body: []) == .rejected)
        #expect(auth.checkHeaders(headers(["Authorization": "Token s3cret"]), body: []) == .rejected)
        #expect(auth.checkHeaders(headers(["Authorization": "garbage"]), body: []) == .rejected)
        #expect(auth.checkHeaders(headers([:]), body: []) == .missing)
    }

    /// The direct comparison clamps its index to the secret's last byte: inputs that repeat that byte past the end,
    /// or whose length differs by a multiple of 256, must still be refused.
    @Test func theSecretMatchesOnlyItselfWhateverThePresentedLength() {
        #expect(auth.matchesSecret("s3cret".utf8))
        #expect(auth.checkBodySecret("s3cret") == .accepted)
        for wrong in ["", "s", "s3cre", "s3crex", "x3cret", "s3crett", "s3crettttt", "s3cret\0", "s3cretś"] {
            #expect(!auth.matchesSecret(wrong.utf8), "\(wrong.debugDescription)")
        }
        #expect(!auth.matchesSecret(Array("s3cret".utf8) + Array(repeating: UInt8(ascii: "t"), count: 256)))
        #expect(auth.checkBodySecret("s3crett") == .rejected)
        #expect(auth.checkBodySecret(nil) == .missing)
        let empty = Authenticator(secret: "")
        #expect(empty.matchesSecret("".utf8))
        #expect(!empty.matchesSecret("x".utf8))
    }

    /// Header values lose HTTP whitespace (space, tab) around them and between scheme and credentials, nothing more.
    @Test func whitespaceAroundTheCredentialsIsHTTPWhitespaceOnly() {
        #expect(auth.checkAuthorization(" \tBearer \t s3cret\t ") == .accepted)
        #expect(auth.checkAuthorization("Basic  b3BzOnMzY3JldA==\t") == .accepted)
        #expect(auth.checkAuthorization("Bearer s3cret\u{00A0}") == .rejected)
        #expect(auth.checkAuthorization("Bearer s3 cret") == .rejected)
        #expect(auth.checkAuthorization("\t \t") == .rejected)
        #expect(" \t a b \t ".trimmingHTTPWhitespace() == "a b")
        #expect("\u{00A0}x\u{00A0}".trimmingHTTPWhitespace() == "\u{00A0}x\u{00A0}")
        #expect("".trimmingHTTPWhitespace() == "")
    }

    @Test func basicAuthUsesThePassword() {
        // "ops:s3cret" and "ops:wrong"
        #expect(auth.checkAuthorization("Basic b3BzOnMzY3JldA==") == .accepted)
        #expect(auth.checkAuthorization("Basic b3BzOndyb25n") == .rejected)
        #expect(auth.checkAuthorization("Basic !!!") == .rejected)
    }

    @Test func githubSignatureOverTheRawBody() {
        let body = Array(#"{"ref":"refs/heads/main"}"#.utf8)
        // A well-formed signature of some other body.
        let signature = "sha256=8c7d4ac46b22b0a1d2a9f1d2ec2b5e1a8d0a3f4d71a6b5e14bd2f62a3b4b1c0e"
        let computed = auth.hubSignature(for: body)
        #expect(computed.hasPrefix("sha256=") && computed.count == 71)
        #expect(auth.checkHeaders(headers(["X-Hub-Signature-256": computed]), body: body) == .accepted)
        #expect(auth.checkHeaders(headers(["X-Hub-Signature-256": computed.uppercased()]), body: body) == .accepted)
        #expect(auth.checkHeaders(headers(["X-Hub-Signature-256": computed]), body: body + [0x20]) == .rejected)
        #expect(auth.checkHeaders(headers(["X-Hub-Signature-256": signature]), body: body) == .rejected)
        #expect(auth.checkHeaders(headers(["X-Hub-Signature-256": "sha256=zz"]), body: body) == .rejected)
        #expect(auth.checkHeaders(headers(["X-Hub-Signature-256": "sha1=abcd"]), body: body) == .rejected)
    }

    @Test func knownHMACVector() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let jefe = Authenticator(secret: "Jefe")
        #expect(
            jefe.hubSignature(for: Array("what do ya want for nothing?".utf8))
                == "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func gitlabToken() {
        #expect(auth.checkHeaders(headers(["X-Gitlab-Token": "s3cret"]), body: []) == .accepted)
        #expect(auth.checkHeaders(headers(["X-Gitlab-Token": "nope"]), body: []) == .rejected)
    }

    @Test func bodySecret() {
        #expect(auth.checkBodySecret("s3cret") == .accepted)
        #expect(auth.checkBodySecret("") == .rejected)
        #expect(auth.checkBodySecret(nil) == .missing)
    }

    @Test func constantTimeEqualsIsEquality() {
        #expect(Authenticator.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!Authenticator.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!Authenticator.constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(Authenticator.constantTimeEquals([], []))
    }
}
