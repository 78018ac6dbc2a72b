import Testing

@testable import ServerCore

@Suite(.timeLimit(.minutes(2))) struct ValidatorTests {
    @Test(arguments: ["a", "MY_TRIGGER_NAME", "app.prod-1", String(repeating: "x", count: 128)])
    func validTriggerNamesPass(name: String) throws {
        try Validator.checkTriggerName(name)
    }

    @Test(arguments: ["", "a b", "a/b", "../x", "é", String(repeating: "x", count: 129), "a\u{0}", "a%2F"])
    func invalidTriggerNamesAre422(name: String) {
        #expect {
            try Validator.checkTriggerName(name)
        } throws: { error in
            (error as? ServerError)?.status == 422
        }
    }

    @Test(arguments: [
        ("https://example.com/a.zip", Validator.Source.http), ("http://127.0.0.1:8000/x", .http),
        ("s3://bucket/key/app.zip", .s3),
    ])
    func acceptedURLs(url: String, source: Validator.Source) throws {
        #expect(try Validator().checkURL(url) == source)
    }

    @Test(arguments: [
        "", "ftp://example.com/x", "file:///etc/passwd", "https://", "s3://bucket", "s3://bucket/", "not a url",
        "https://example.com/a/../../etc", "javascript:alert(1)", "https://example.com/x y",
    ])
    func refusedURLs(url: String) {
        #expect {
            try Validator().checkURL(url)
        } throws: { error in
            (error as? ServerError)?.status == 422
        }
    }

    @Test(arguments: [
        ("https://a.com/x", true), ("https://a.com", true), ("https://a.com.evil.org/x", false),
        ("https://a.com/apps/x", true), ("http://a.com/x", false), ("s3://bucket/releases/app.zip", true),
        ("s3://bucket/other/app.zip", false), ("https://b.com/app", true), ("https://b.com/apple", false),
    ])
    func allowListPrefixesRespectBoundaries(url: String, allowed: Bool) {
        let validator = Validator(allowedURLPrefixes: ["https://a.com", "s3://bucket/releases/", "https://b.com/app"])
        #expect((try? validator.checkURL(url)) != nil ? allowed : !allowed)
    }
}
