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
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        .target(
            name: "AgentCore",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(name: "ProstagmaAgent", dependencies: ["AgentCore"]),
        .testTarget(name: "AgentCoreTests", dependencies: ["AgentCore"]),
    ]
)
