import Testing

@testable import S3Fetch

@Suite(.timeLimit(.minutes(1))) struct FailureClassifierTests {
    // Messages as aws-cli 1.x and 2.x print them.
    @Test(arguments: [
        ("download failed: s3://b/k to - Unable to locate credentials", FailureClassifier.Verdict.kind(.noCredentials)),
        (
            "fatal error: An error occurred (NoSuchBucket) when calling the ListObjectsV2 operation: "
                + "The specified bucket does not exist", .kind(.noSuchBucket)
        ),
        (
            "An error occurred (NoSuchKey) when calling the GetObject operation: The specified key does not exist.",
            .kind(.noSuchKey)
        ),
        (
            "fatal error: An error occurred (404) when calling the HeadObject operation: Key \"k\" does not exist",
            .kind(.noSuchKey)
        ),
        (
            "download failed: s3://b/k to - An error occurred (404) when calling the HeadObject operation: Not Found",
            .notFound
        ),
        (
            "download failed: s3://b/k to - An error occurred (403) when calling the GetObject operation: Forbidden",
            .kind(.accessDenied)
        ),
        ("An error occurred (AccessDenied) when calling the GetObject operation: Access Denied", .kind(.accessDenied)),
        ("An error occurred (InvalidAccessKeyId) when calling the GetObject operation: bad key", .kind(.accessDenied)),
        ("Could not connect to the endpoint URL: \"http://127.0.0.1:1/b/k\"", .kind(.failed)),
        ("", .kind(.failed)),
    ])
    func cliMessagesMapToErrorKinds(message: String, verdict: FailureClassifier.Verdict) {
        #expect(FailureClassifier.classify(message) == verdict)
    }

    @Test func messageKeepsTheLastLinesTrimmed() {
        #expect(FailureClassifier.message(from: "  one\n\n two \n") == "one | two")
        #expect(FailureClassifier.message(from: "1\n2\n3\n4\n5") == "3 | 4 | 5")
    }

    @Test func boundedTailKeepsHeadAndTailAndMarksTheGap() {
        var tail = BoundedTail(limit: 16)
        tail.append(Array("HEAD".utf8))
        tail.append(Array(repeating: UInt8(ascii: "x"), count: 100))
        tail.append(Array("the real error".utf8))
        #expect(tail.head == Array("HEAD".utf8))
        #expect(tail.tail.count == 12)
        #expect(tail.text.hasPrefix("HEAD\n[... "))
        #expect(tail.text.hasSuffix("real error"))
        var short = BoundedTail(limit: 1024)
        short.append(Array("short".utf8))
        #expect(short.text == "short")
    }

    @Test func errorDescriptionsSayWhatWhereAndTheCLIsWords() {
        let error = S3FetchError(.failed, url: "s3://b1/k", message: "boom", exitCode: 255)
        #expect(error.description == "aws CLI failed with exit code 255 for s3://b1/k: boom")
        #expect(S3FetchError(.noSuchKey, url: "s3://b1/k", message: "").description == "no such key for s3://b1/k")
    }
}
