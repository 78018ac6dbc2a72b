// swift-tools-version:6.2
// 6.2: the graph includes swift-subprocess, which declares package traits.
import PackageDescription

// The root manifest: every package's tests, the apps' tests and the system tests in one build, so SwiftNIO,
// AsyncHTTPClient, BoringSSL and GRDB compile once for all of them (`make test`, Tools/test-all.sh).
//
// It adds no code. Each package under Packages/ and Apps/ stays buildable and testable alone with its own
// manifest; this one depends on them by path and declares their test targets by path. A test target here has
// the same name and sources as in its package, so it must only depend on products.
let package = Package(
    name: "Prostagma",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", exact: "1.0.2", traits: []),
        .package(url: "https://github.com/apple/swift-system", from: "1.5.0"),
        .package(path: "Packages/ArtifactCache"),
        .package(path: "Packages/CZlib"),
        .package(path: "Packages/Digest"),
        .package(path: "Packages/HTTPCore"),
        .package(path: "Packages/Metrics"),
        .package(path: "Packages/MiniYAML"),
        .package(path: "Packages/PostgresFixture"),
        .package(path: "Packages/ProstagmaProtocol"),
        .package(path: "Packages/S3Fetch"),
        .package(path: "Packages/ZipReader"),
        .package(path: "Apps/Agent"),
        .package(path: "Apps/Server"),
    ],
    targets: [
        .testTarget(
            name: "CZlibTests",
            dependencies: [.product(name: "CZlib", package: "CZlib")],
            path: "Packages/CZlib/Tests/CZlibTests"),
        .testTarget(
            name: "DigestTests",
            dependencies: [.product(name: "Digest", package: "Digest")],
            path: "Packages/Digest/Tests/DigestTests"),
        .testTarget(
            name: "ArtifactCacheTests",
            dependencies: [
                .product(name: "ArtifactCache", package: "ArtifactCache"),
                // Run as a child process that the crash-safety tests kill; found beside the test bundle.
                .product(name: "artifact-cache-writer", package: "ArtifactCache"),
                .product(name: "CZlib", package: "CZlib"),
            ],
            path: "Packages/ArtifactCache/Tests/ArtifactCacheTests"),
        .testTarget(
            name: "HTTPCoreTests",
            dependencies: [
                .product(name: "HTTPCore", package: "HTTPCore"),
                .product(name: "HTTPCoreTesting", package: "HTTPCore"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CZlib", package: "CZlib"),
                .product(name: "Digest", package: "Digest"),
            ],
            path: "Packages/HTTPCore/Tests/HTTPCoreTests"),
        .testTarget(
            name: "PrometheusMetricsTests",
            dependencies: [.product(name: "PrometheusMetrics", package: "Metrics")],
            path: "Packages/Metrics/Tests/PrometheusMetricsTests"),
        .testTarget(
            name: "MiniYAMLTests",
            dependencies: [
                .product(name: "MiniYAML", package: "MiniYAML"),
                .product(name: "MiniYAMLCLI", package: "MiniYAML"),
            ],
            path: "Packages/MiniYAML/Tests/MiniYAMLTests"),
        .testTarget(
            name: "ProstagmaProtocolTests",
            dependencies: [.product(name: "ProstagmaProtocol", package: "ProstagmaProtocol")],
            path: "Packages/ProstagmaProtocol/Tests/ProstagmaProtocolTests"),
        .testTarget(
            name: "S3FetchTests",
            dependencies: [.product(name: "S3Fetch", package: "S3Fetch")],
            path: "Packages/S3Fetch/Tests/S3FetchTests"),
        .testTarget(
            name: "ZipReaderTests",
            dependencies: [
                .product(name: "ZipReader", package: "ZipReader"),
                .product(name: "ZipReaderCLI", package: "ZipReader"),
                .product(name: "CZlib", package: "CZlib"),
            ],
            path: "Packages/ZipReader/Tests/ZipReaderTests"),
        .testTarget(
            name: "AgentCoreTests",
            dependencies: [
                .product(name: "AgentCore", package: "Agent"),
                .product(name: "PrometheusMetrics", package: "Metrics"),
                // AgentProcessTests run the real binary, found beside the test bundle.
                .product(name: "prostagma-agent", package: "Agent"),
                // testGracefulShutdown, as in Apps/Agent's own manifest.
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            path: "Apps/Agent/Tests/AgentCoreTests",
            exclude: ["Support/standin_server.py"]),
        .testTarget(
            name: "PostgresFixtureTests",
            dependencies: [.product(name: "PostgresFixture", package: "PostgresFixture")],
            path: "Packages/PostgresFixture/Tests/PostgresFixtureTests"),
        .testTarget(
            name: "ServerCoreTests",
            dependencies: [
                .product(name: "ServerCore", package: "Server"),
                // BinaryTests run the real binary, found beside the test bundle.
                .product(name: "prostagma-server", package: "Server"),
                .product(name: "HTTPCore", package: "HTTPCore"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ProstagmaProtocol", package: "ProstagmaProtocol"),
                .product(name: "MiniYAML", package: "MiniYAML"),
                .product(name: "PostgresFixture", package: "PostgresFixture"),
            ],
            path: "Apps/Server/Tests/ServerCoreTests"),
        // The system tests (Tests/Package.swift declares the same two targets for running them alone).
        .target(
            name: "SystemSupport",
            dependencies: [
                .product(name: "ProstagmaProtocol", package: "ProstagmaProtocol"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Tests/Support/SystemSupport"),
        .testTarget(
            name: "SystemTests",
            dependencies: [
                "SystemSupport", .product(name: "ProstagmaProtocol", package: "ProstagmaProtocol"),
                .product(name: "PostgresFixture", package: "PostgresFixture"),
            ],
            path: "Tests/SystemTests"),
    ]
)
