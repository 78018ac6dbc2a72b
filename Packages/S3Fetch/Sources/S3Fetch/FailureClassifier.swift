/// Maps the aws CLI's standard error to an error kind (pure, tested with the CLI's real messages).
enum FailureClassifier {
    enum Verdict: Equatable {
        case kind(S3FetchError.Kind)
        /// A bare 404 from HeadObject: the bucket or the key is missing; a second question decides.
        case notFound
    }

    static func classify(_ standardError: String) -> Verdict {
        let text = standardError
        let lower = text.lowercased()
        if lower.contains("unable to locate credentials") || text.contains("NoCredentialsError")
            || lower.contains("partial credentials found")
        {
            return .kind(.noCredentials)
        }
        if text.contains("NoSuchBucket") || lower.contains("specified bucket does not exist") {
            return .kind(.noSuchBucket)
        }
        if text.contains("NoSuchKey") || lower.contains("specified key does not exist")
            || (lower.contains("key \"") && lower.contains("does not exist"))
        {
            return .kind(.noSuchKey)
        }
        if text.contains("AccessDenied") || text.contains("(403)") || text.contains("Forbidden")
            || text.contains("InvalidAccessKeyId") || text.contains("SignatureDoesNotMatch")
        {
            return .kind(.accessDenied)
        }
        if text.contains("(404)") || text.contains("Not Found") {
            return .notFound
        }
        return .kind(.failed)
    }

    /// The line that carries the CLI's message (the last non-empty one), trimmed; all of it if short.
    static func message(from standardError: String) -> String {
        let lines = standardError.split(whereSeparator: \.isNewline).map {
            $0.trimmingCharacters(in: " \t\r")
        }.filter { !$0.isEmpty }
        if lines.count <= 3 { return lines.joined(separator: " | ") }
        return lines.suffix(3).joined(separator: " | ")
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var slice = self
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
