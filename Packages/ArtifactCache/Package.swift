// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "ArtifactCache",
    // Swift Testing's time limits need macOS 13; the other platforms have no floor.
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ArtifactCache", targets: ["ArtifactCache"]),
        // Throughput benchmark (Tools/bench/bench-cache.sh).
        .executable(name: "artifact-cache-bench", targets: ["ArtifactCacheBench"]),
        // A writer process the crash-safety tests kill with SIGKILL mid-write.
        .executable(name: "artifact-cache-writer", targets: ["ArtifactCacheWriter"]),
    ],
    dependencies: [
        .package(path: "../CZlib"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
    ],
    targets: [
        .target(
            name: "ArtifactCache",
            dependencies: [
                .product(name: "CZlib", package: "CZlib"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(name: "ArtifactCacheWriter", dependencies: ["ArtifactCache"]),
        .executableTarget(name: "ArtifactCacheBench", dependencies: ["ArtifactCache"]),
        .testTarget(
            name: "ArtifactCacheTests",
            dependencies: ["ArtifactCache", "ArtifactCacheWriter", .product(name: "CZlib", package: "CZlib")]
        ),
    ]
)
