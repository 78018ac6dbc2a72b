// swift-tools-version:6.0
import PackageDescription

// Sibling packages; PROSTAGMA_PACKAGES points elsewhere (e.g. a snapshot of the last commit) while they change.
let packages = Context.environment["PROSTAGMA_PACKAGES"] ?? "../../Packages"

let package = Package(
    name: "Agent",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "prostagma-agent", targets: ["ProstagmaAgent"]),
        .library(name: "AgentCore", targets: ["AgentCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(path: packages + "/HTTPCore"),
        .package(path: packages + "/Metrics"),
        .package(path: packages + "/MiniYAML"),
        .package(path: packages + "/ZipReader"),
    ],
    targets: [
        .target(
            name: "AgentCore",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "HTTPCore", package: "HTTPCore"),
                .product(name: "MiniYAML", package: "MiniYAML"),
                .product(name: "PrometheusMetrics", package: "Metrics"),
                .product(name: "ZipReader", package: "ZipReader"),
            ]
        ),
        .executableTarget(name: "ProstagmaAgent", dependencies: ["AgentCore"]),
        .testTarget(name: "AgentCoreTests", dependencies: ["AgentCore"], exclude: ["Support/standin_server.py"]),
    ]
)
