import Testing

@testable import S3Fetch

@Suite(.timeLimit(.minutes(1))) struct S3URLTests {
    @Test(arguments: [
        ("s3://my-bucket/app.zip", "my-bucket", "app.zip"),
        ("s3://a.b-c/dir/sub/file.tar.gz", "a.b-c", "dir/sub/file.tar.gz"),
        ("s3://abc/key with spaces/ünï", "abc", "key with spaces/ünï"),
        ("s3://123/k", "123", "k"),
        ("s3://bucket//leading-slash", "bucket", "/leading-slash"),
        ("s3://\(String(repeating: "a", count: 63))/k", String(repeating: "a", count: 63), "k"),
    ])
    func validURLsSplitIntoBucketAndKey(text: String, bucket: String, key: String) throws {
        let url = try S3URL(parsing: text)
        #expect(url.bucket == bucket)
        #expect(url.key == key)
        #expect(url.description == text)
    }

    @Test(arguments: [
        ("https://bucket/key", "scheme \"https\""),
        ("S3://bucket/key", "scheme \"S3\""),
        ("bucket/key", "expected s3://bucket/key"),
        ("s3://bucket", "missing object key"),
        ("s3://bucket/", "key is empty"),
        ("s3:///key", "bucket name is empty"),
        ("s3://ab/key", "3 to 63"),
        ("s3://\(String(repeating: "a", count: 64))/key", "3 to 63"),
        ("s3://My-Bucket/key", "lowercase"),
        ("s3://my_bucket/key", "lowercase"),
        ("s3://-bucket/key", "start and end"),
        ("s3://bucket-/key", "start and end"),
        ("s3://.bucket/key", "start and end"),
        ("s3://my..bucket/key", "\"..\""),
        ("s3://192.168.1.10/key", "IP address"),
        ("s3://bucket/key?versionId=1", "query"),
        ("s3://bucket/key#part", "fragment"),
        ("s3://bucket/bad\nkey", "control characters"),
    ])
    func invalidURLsAreRejectedWithAMessageNamingTheURL(text: String, reason: String) {
        let error = #expect(throws: S3FetchError.self) { try S3URL(parsing: text) }
        #expect(error?.kind == .invalidURL)
        #expect(error?.url == text)
        #expect(error?.description.contains(text) == true, "\(String(describing: error))")
        #expect(error?.message.contains(reason) == true, "\(String(describing: error?.message))")
    }

    @Test func urlFromPartsIsValidatedToo() throws {
        #expect(try S3URL(bucket: "good-bucket", key: "a/b").description == "s3://good-bucket/a/b")
        #expect(throws: S3FetchError.self) { try S3URL(bucket: "x", key: "a") }
    }
}
