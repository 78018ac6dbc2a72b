/// The bodies of the original tool's API (`/trigger`, `/cache`, `/cache/s3`): the secret travels in the JSON body,
/// and GET requests carry one too. Their shapes are the original's and do not change.
public enum OriginalAPI {
    /// `{"secret", "trigger"}`: the request of `POST /trigger` and `GET /trigger` (openapi.yaml's `SecretTrigger`).
    public struct TriggerRequest: Codable, Sendable, Equatable {
        /// The shared secret; the server answers 401 when it is missing.
        public var secret: String?
        /// The trigger's name.
        public var trigger: String

        /// Makes a request.
        public init(secret: String?, trigger: String) {
            self.secret = secret
            self.trigger = trigger
        }
    }

    /// `{"secret", "url"}`: the request of the cache routes (openapi.yaml's `SecretURL`).
    public struct CacheRequest: Codable, Sendable, Equatable {
        /// The shared secret.
        public var secret: String?
        /// The artifact's URL.
        public var url: String

        /// Makes a request.
        public init(secret: String?, url: String) {
            self.secret = secret
            self.url = url
        }
    }

    /// `{"trigger", "count"}`: the answer of `POST /trigger` and `GET /trigger` (openapi.yaml's `Count`).
    public struct TriggerCount: Codable, Sendable, Equatable {
        /// The trigger's name.
        public var trigger: String
        /// Its count.
        public var count: Int64

        /// Makes an answer.
        public init(trigger: String, count: Int64) {
            self.trigger = trigger
            self.count = count
        }
    }

    /// `{"url", "size", "sha256"}`: what `POST /cache` and `POST /cache/s3` answer (openapi.yaml's `Cached`); the
    /// original answered with no body, and its clients read none.
    public struct Cached: Codable, Sendable, Equatable {
        /// The URL fetched.
        public var url: String
        /// Its size in bytes.
        public var size: Int64
        /// Its lowercase hex SHA-256.
        public var sha256: String

        /// Makes an answer.
        public init(url: String, size: Int64, sha256: String) {
            self.url = url
            self.size = size
            self.sha256 = sha256
        }
    }
}
