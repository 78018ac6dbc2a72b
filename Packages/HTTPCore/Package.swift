// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "HTTPCore",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "HTTPCore", targets: ["HTTPCore"]),
        // Drives a Router without a socket, for the apps' tests.
        .library(name: "HTTPCoreTesting", targets: ["HTTPCoreTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(path: "../CZlib"),
        // Tests only: SHA-256 of downloads.
        .package(path: "../Digest"),
    ],
    targets: [
        .target(
            name: "HTTPCore",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                // gzip/deflate response bodies for the client.
                .product(name: "CZlib", package: "CZlib"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "HTTPCoreTesting",
            dependencies: ["HTTPCore", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "HTTPCoreTests",
            dependencies: [
                "HTTPCore", "HTTPCoreTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CZlib", package: "CZlib"),
                .product(name: "Digest", package: "Digest"),
            ]
        ),
    ]
)
