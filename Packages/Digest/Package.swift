// swift-tools-version:6.0
import PackageDescription

// SHA-256 for the agent: BoringSSL's speed (SHA-NI on x86-64) without linking a second BoringSSL into a binary that
// is meant to stay small. A C core (portable rounds, and the SHA extensions when the CPU has them) under a Swift
// streaming API.
let package = Package(
    name: "Digest",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Digest", targets: ["Digest"])
    ],
    targets: [
        .target(name: "CDigest"),
        .target(name: "Digest", dependencies: ["CDigest"]),
        .testTarget(name: "DigestTests", dependencies: ["Digest"]),
    ]
)
