// swift-tools-version:6.2
// 6.2: swift-subprocess declares package traits, which older manifests cannot name.
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
        // Runs shell steps. No traits: the default one (SubprocessFoundation) only adds Data-based outputs; the
        // agent streams raw buffers.
        .package(url: "https://github.com/swiftlang/swift-subprocess", exact: "1.0.2", traits: []),
        // FilePath, for naming the shell to Subprocess.
        .package(url: "https://github.com/apple/swift-system", from: "1.5.0"),
        .package(path: "../../Packages/Digest"),
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
                .product(name: "Digest", package: "Digest"),
                .product(name: "HTTPCore", package: "HTTPCore"),
                .product(name: "MiniYAML", package: "MiniYAML"),
                .product(name: "PrometheusMetrics", package: "Metrics"),
                .product(name: "ZipReader", package: "ZipReader"),
                .product(name: "ProstagmaProtocol", package: "ProstagmaProtocol"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .executableTarget(name: "ProstagmaAgent", dependencies: ["AgentCore"]),
        .testTarget(
            name: "AgentCoreTests",
            dependencies: [
                "AgentCore",
                // ProcFile: StartupPagesTests read the test process's own /proc/self/status.
                .product(name: "PrometheusMetrics", package: "Metrics"),
                // testGracefulShutdown: tests begin a graceful shutdown as a ServiceGroup does on SIGTERM.
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            exclude: ["Support/standin_server.py"]
        ),
    ]
)
