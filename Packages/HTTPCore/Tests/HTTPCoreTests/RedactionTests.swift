import HTTPCore
import Testing

@Suite(.timeLimit(.minutes(1))) struct RedactionTests {
    @Test(arguments: [
        ("fetching http://user:pw@host/a.zip failed", "fetching http://***@host/a.zip failed"),
        ("'https://tok@h:8443/x?y=1' is not", "'https://***@h:8443/x?y=1' is not"),
        ("http://u:p%40ss@h/ and s3://k:s@b/key", "http://***@h/ and s3://***@b/key"),
        (
            "GET /v1/artifacts?url=http%3A%2F%2Fuser%3Apw%40host%2Fa&cache=1",
            "GET /v1/artifacts?url=http%3A%2F%2F***%40host%2Fa&cache=1"
        ),
        ("http://host/a@b and mail me@example.com", "http://host/a@b and mail me@example.com"),
        ("no url here", "no url here"),
    ])
    func userinfoIsElided(input: String, expected: String) {
        #expect(Redaction.elidingUserinfo(in: input) == expected)
    }
}
