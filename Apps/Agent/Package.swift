// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Agent",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "prostagma-agent", targets: ["ProstagmaAgent"]),
        .library(name: "AgentCore", targets: ["AgentCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(path: "../../Packages/HTTPCore"),
        .package(path: "../../Packages/Metrics"),
        .package(path: "../../Packages/MiniYAML"),
        .package(path: "../../Packages/ZipReader"),
        .package(path: "../../Packages/ProstagmaProtocol"),
    ],
    targets: [
        .target(
            name: "AgentCore",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "HTTPCore", package: "HTTPCore"),
                .product(name: "MiniYAML", package: "MiniYAML"),
                .product(name: "PrometheusMetrics", package: "Metrics"),
                .product(name: "ZipReader", package: "ZipReader"),
                .product(name: "ProstagmaProtocol", package: "ProstagmaProtocol"),
            ]
        ),
        .executableTarget(name: "ProstagmaAgent", dependencies: ["AgentCore"]),
        .testTarget(name: "AgentCoreTests", dependencies: ["AgentCore"], exclude: ["Support/standin_server.py"]),
    ]
)
