// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Server",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "prostagma-server", targets: ["ProstagmaServer"]),
        .library(name: "ServerCore", targets: ["ServerCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(path: "../../Packages/HTTPCore"),
        .package(path: "../../Packages/Metrics"),
        .package(path: "../../Packages/ArtifactCache"),
        .package(path: "../../Packages/S3Fetch"),
        .package(path: "../../Packages/ProstagmaProtocol"),
        // Tests only: reads openapi.yaml to check bodies and wire types against it.
        .package(path: "../../Packages/MiniYAML"),
        // Tests only: a throwaway PostgreSQL cluster for the PostgreSQL store's tests.
        .package(path: "../../Packages/PostgresFixture"),
    ],
    targets: [
        .target(
            name: "ServerCore",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "HTTPCore", package: "HTTPCore"),
                .product(name: "PrometheusMetrics", package: "Metrics"),
                .product(name: "ArtifactCache", package: "ArtifactCache"),
                .product(name: "S3Fetch", package: "S3Fetch"),
                .product(name: "ProstagmaProtocol", package: "ProstagmaProtocol"),
                // The configuration file (PROSTAGMA_CONFIG) is YAML.
                .product(name: "MiniYAML", package: "MiniYAML"),
            ],
            // Embedded as OpenAPIDocument.swift (Tools/embed-openapi.sh): a bare binary serves the real document.
            exclude: ["Resources/openapi.yaml"]
        ),
        .executableTarget(name: "ProstagmaServer", dependencies: ["ServerCore"]),
        .testTarget(
            name: "ServerCoreTests",
            dependencies: [
                "ServerCore",
                .product(name: "HTTPCore", package: "HTTPCore"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ProstagmaProtocol", package: "ProstagmaProtocol"),
                .product(name: "MiniYAML", package: "MiniYAML"),
                .product(name: "PostgresFixture", package: "PostgresFixture"),
            ]
        ),
    ]
)
